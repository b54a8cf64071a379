/* gemm_generic.c: the portable GEMM micro-kernel, the dispatch table's "generic" entry beside
 * gemm_avx2.c and gemm_avx512.c (fastgrad.h's fg_ukr_* contract). Plain C that any compiler
 * vectorises for the x86-64 baseline. */
#include "fastgrad.h"

/* GCC's loop vectoriser picks the k loop of the micro-kernel (its i and j loops are fully
 * unrolled) and turns it into shuffle-heavy code; with it off, the SLP vectoriser maps each
 * row of the tile onto whole vector registers, several times faster. */
#if defined(__GNUC__) && !defined(__clang__)
#define FG_NO_LOOP_VECTORIZE __attribute__((optimize("no-tree-loop-vectorize")))
#else
#define FG_NO_LOOP_VECTORIZE
#endif

#define FG_IMPL "gemm_generic_impl.h"
#include "dtype.h"
