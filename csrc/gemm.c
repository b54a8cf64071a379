/* gemm.c: C = alpha * A @ B + beta * C for any operand strides (fastgrad.h).
 *
 * The driver (gemm_impl.h) picks one of three paths from the shape alone:
 *  - dot, for 1..4 rows of A against a transposed B (the dense layer at inference): each
 *    output a dot product of two contiguous runs, W streamed once by a dot kernel;
 *  - direct, for small and medium products (M <= 256, or B within L2): every MR x NR tile
 *    runs over all of K reading A in place, and B in place too when its rows are unit-stride
 *    (else B is packed: a column panel at a time, just before its tiles, when A fits in L2,
 *    else whole); packing A would cost more than it saves here;
 *  - packed, GotoBLAS/BLIS style, for large ones: KC x NC panels of B and MC x KC blocks of A
 *    copied into the micro-kernel's order, so it streams both at unit stride from cache. The
 *    copies follow the source's unit stride: a row-major B row by row, a transposed A k by
 *    k, and a transposed B or row-major A by the ISA's in-register transposes.
 * The micro-kernel (MR x NR register tile, bias + ReLU + beta merge applied in registers) and
 * the dot kernel come from the dispatch table (gemm_dispatch.c): AVX-512, AVX2 or the
 * portable ones in gemm_impl.h.
 *
 * Determinism: on the tile paths each element is accumulated one k at a time in order within
 * a K slice, slices merged in order; on the dot path each output is summed in one fixed order
 * of its own (gemm_impl.h). Slicing depends only on the shape, and threads split C's rows or
 * columns into whole tiles (or whole outputs), so results are bit-identical for every thread
 * count.
 */
#include <stdlib.h>
#include <stdint.h>
#include "internal.h"

/* GCC's loop vectoriser picks the k loop of the micro-kernel (its i and j loops are fully
 * unrolled) and turns it into shuffle-heavy code at ~4 GFLOP/s; with it off, the SLP
 * vectoriser maps each row of the tile onto whole vector registers, several times faster.
 * (This is the portable micro-kernel; gemm_avx2.c / gemm_avx512.c hold the SIMD ones.) */
#if defined(__GNUC__) && !defined(__clang__)
#define FG_NO_LOOP_VECTORIZE __attribute__((optimize("no-tree-loop-vectorize")))
#else
#define FG_NO_LOOP_VECTORIZE
#endif

void *fg_aligned_malloc(size_t bytes)
{
    /* malloc + manual alignment: C99 has no aligned_alloc, and posix_memalign is not portable.
     * The original pointer is kept just below the aligned block. */
    unsigned char *raw = malloc(bytes + 64 + sizeof(void *));
    if (!raw)
        return NULL;
    uintptr_t aligned = ((uintptr_t)(raw + sizeof(void *)) + 63) & ~(uintptr_t)63;
    ((void **)aligned)[-1] = raw;
    return (void *)aligned;
}

void fg_aligned_free(void *p)
{
    if (p)
        free(((void **)p)[-1]);
}

#define FG_IMPL "gemm_impl.h"
#include "dtype.h"
