/* gemm.c: C = alpha * A @ B + beta * C for any operand strides (fastgrad.h), and the aligned
 * scratch memory of the GEMM's packs.
 *
 * The entry point picks one of three paths from the shape alone, never from the thread count:
 * the dot path (gemm_dot.c) for 1..4 rows of A against a transposed B, else the direct or the
 * packed tile path (gemm_tiles.c). The kernels of each come from the dispatch table
 * (gemm_dispatch.c): AVX-512, AVX2, or the portable ones (gemm_generic.c, gemm_dot.c).
 */
#include <stdlib.h>
#include <stdint.h>
#include "fastgrad.h"

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
