/* gemm_dot.c: the GEMM's dot path, fg_gemm_dot_* (fastgrad.h), and the portable dot kernel.
 *
 * For 1..FG_DOT_MAX_M rows of A against a transposed B (the dense layer at inference): each
 * output is a dot product of two contiguous runs, and W is streamed once by the dispatch
 * table's dot kernel (gemm_dot_simd.h for AVX2 and AVX-512, the portable one here). Each
 * output is summed in one fixed order of its own, and threads split the outputs, so results
 * are bit-identical for every thread count.
 */
#include "fastgrad.h"

#define FG_IMPL "gemm_dot_impl.h"
#include "dtype.h"
