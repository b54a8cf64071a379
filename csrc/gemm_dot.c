/* gemm_dot.c: the GEMM's dot path, fg_gemm_dot_* (fastgrad.h), and the portable dot kernel.
 *
 * For 1..FG_DOT_MAX_M rows of A against a transposed B (the dense layer at inference): each
 * output is a dot product of two contiguous runs, and W is streamed once by the dispatch
 * table's dot kernel (gemm_dot_simd.h for AVX2 and AVX-512, the portable one here). Each
 * output is summed in one fixed order of its own, and threads split the outputs, so results
 * are bit-identical for every thread count.
 */
#include "fastgrad.h"

/* ---- which way the rows of W are visited -----------------------------------------------------
 * Inference at batch 1 streams every layer's W once per step, all layers in the same order
 * every step. When the weights are a little larger than the core's L2 (I1's 784-512-256-10
 * MLP: 2.04 MiB), that cyclic pattern defeats LRU-like replacement: each line is evicted just
 * before it is needed again, so every step reads all of W from L3. Visiting a W's rows in the
 * opposite direction from the previous call on it starts each layer with what it touched last,
 * still in cache, and only about the lines the excess pushed out are missed (a quarter of
 * them in callgrind's simulation of a 2 MiB LRU cache; docs/ARCHITECTURE.md).
 *
 * Each output is one dot product whose order of summation is fixed (gemm_dot_impl.h), so the
 * direction changes no bit. It is therefore kept as a hint, not exact state: one bit per slot
 * of a small table indexed by a hash of W's address, flipped atomically per call (two W that
 * share a slot, or two threads on one W, only cost speed). */
static unsigned char fg_dot_turns[256];

/* 1 when this call on B should visit its rows last first. */
static int fg_dot_backward(const void *B)
{
    const uint64_t line = (uint64_t)(uintptr_t)B >> 6;
    /* Fibonacci hashing: the top 8 bits of the product pick one of the 256 slots. */
    const unsigned slot = (unsigned)(line * 0x9E3779B97F4A7C15u >> 56);
    return __atomic_fetch_xor(&fg_dot_turns[slot], 1, __ATOMIC_RELAXED) & 1;
}

#define FG_IMPL "gemm_dot_impl.h"
#include "dtype.h"
