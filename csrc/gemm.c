/* gemm.c: C = alpha * A @ B + beta * C for any operand strides (fastgrad.h).
 *
 * GotoBLAS/BLIS structure, minus the A packing: for each NC-wide column panel (jc) and each
 * KC-deep slice of K (pc), B[pc:pc+kc, jc:jc+nc] is packed into NR-wide micro-panels, so the
 * micro-kernel reads B at unit stride whatever B's strides were (a transposed B is just a stride
 * swap). The micro-kernel computes an MR x NR tile of A@B over one K slice into registers, and
 * the tile is then merged into C. That split is the seam where SIMD micro-kernels plug in.
 *
 * Determinism: every C element is sum over k-slices of (sequential sum over k within the slice),
 * merged in slice order; slices depend only on K. The fallback path (no scratch memory) does the
 * same arithmetic in the same order, so it gives bit-identical results.
 */
#include <stdlib.h>
#include <stdint.h>
#include "internal.h"

#define MR 4

/* GCC's loop vectoriser picks the k loop of the micro-kernel (its i and j loops are fully
 * unrolled) and turns it into shuffle-heavy code at ~4 GFLOP/s; with it off, the SLP
 * vectoriser maps each row of the tile onto whole vector registers, several times faster.
 * The SIMD micro-kernels of the next stage replace this. */
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
