/* internal.h: declarations shared between the kernel files, not part of the binding contract. */
#ifndef FASTGRAD_INTERNAL_H
#define FASTGRAD_INTERNAL_H

#include "fastgrad.h"

/* ---- GEMM micro-kernels and the per-ISA dispatch table (gemm_dispatch.c) ------------------ */
/* What a micro-kernel does to its finished register tile before storing it:
 * C = alpha * acc + beta * C (beta == 0: C is not read), then + bias[j], then max(0, .) when
 * relu. bias points at the tile's first column. */
typedef struct { float alpha, beta; const float *bias; int relu; } fg_tile_ep_f32;
typedef struct { double alpha, beta; const double *bias; int relu; } fg_tile_ep_f64;

/* One mr x nr tile (mr <= MR, nr <= NR) of C over kc steps of k:
 * acc(i, j) = sum_k A[i*rsa + k*csa] * B[k*rsb + j], k in order (B has unit column stride;
 * either a packed panel, rsb = NR, or a row-major B read in place). Columns past nr are neither
 * read from B nor written to C, so B and C may end exactly at the tile's edge. */
typedef void (*fg_ukr_f32)(fg_idx kc, fg_idx mr, fg_idx nr, const float *A, fg_idx rsa,
                           fg_idx csa, const float *B, fg_idx rsb, float *C, fg_idx ldc,
                           const fg_tile_ep_f32 *ep);
typedef void (*fg_ukr_f64)(fg_idx kc, fg_idx mr, fg_idx nr, const double *A, fg_idx rsa,
                           fg_idx csa, const double *B, fg_idx rsb, double *C, fg_idx ldc,
                           const fg_tile_ep_f64 *ep);

/* Register tile and cache blocking of one type on one ISA: KC rows of K per packed slice,
 * MC rows of A per packed block, NC columns of B per packed panel. */
typedef struct { fg_idx mr, nr, kc, mc, nc; } fg_blocking;

/* Packs a transposed B (B(k, j) = B[k + j*csb]) into NR-wide panels of kc rows, as the
 * micro-kernel reads them; columns past nc hold junk it never uses. The same signature packs
 * a row-major A (A(i, k) = A[i*rsa + k]) into MR-row slivers: packa(kc, mc, A, rsa, Ap). */
typedef void (*fg_packt_f32)(fg_idx kc, fg_idx nc, const float *B, fg_idx csb, float *Bp);
typedef void (*fg_packt_f64)(fg_idx kc, fg_idx nc, const double *B, fg_idx csb, double *Bp);

/* A dot kernel (gemm_dot.c, gemm_dot_simd.h): C[i*ldc + j] = the tile epilogue (alpha, beta, bias[j], relu)
 * of sum_k A[i*rsa + k] * B[k + j*csb] for i < M <= 4, j < N; B is the transpose of a row-major
 * W, so both runs are contiguous. Every output is summed in the same fixed order, whatever its
 * position (gemm_dot_simd.h), so any split of N gives the same bits. */
typedef void (*fg_dot_f32)(fg_idx M, fg_idx N, fg_idx K, const float *A, fg_idx rsa,
                           const float *B, fg_idx csb, float *C, fg_idx ldc,
                           const fg_tile_ep_f32 *ep);
typedef void (*fg_dot_f64)(fg_idx M, fg_idx N, fg_idx K, const double *A, fg_idx rsa,
                           const double *B, fg_idx csb, double *C, fg_idx ldc,
                           const fg_tile_ep_f64 *ep);

typedef struct {
    const char *name;
    fg_ukr_f32 ukr_f32;
    fg_ukr_f64 ukr_f64;
    fg_blocking blk_f32, blk_f64;
    fg_packt_f32 packt_f32; /* NULL: the portable packing loop */
    fg_packt_f64 packt_f64;
    fg_packt_f32 packa_f32; /* a row-major A into MR-row slivers; NULL: the portable loop */
    fg_packt_f64 packa_f64;
    fg_dot_f32 dot_f32;
    fg_dot_f64 dot_f64;
} fg_gemm_isa;

/* The table in use (chosen at first use from the CPU, FASTGRAD_ISA, or fg_set_isa). */
const fg_gemm_isa *fg_gemm_active(void);

void fg_ukr_generic_f32(fg_idx, fg_idx, fg_idx, const float *, fg_idx, fg_idx, const float *,
                        fg_idx, float *, fg_idx, const fg_tile_ep_f32 *);
void fg_ukr_generic_f64(fg_idx, fg_idx, fg_idx, const double *, fg_idx, fg_idx, const double *,
                        fg_idx, double *, fg_idx, const fg_tile_ep_f64 *);
void fg_dot_generic_f32(fg_idx, fg_idx, fg_idx, const float *, fg_idx, const float *, fg_idx,
                        float *, fg_idx, const fg_tile_ep_f32 *);
void fg_dot_generic_f64(fg_idx, fg_idx, fg_idx, const double *, fg_idx, const double *, fg_idx,
                        double *, fg_idx, const fg_tile_ep_f64 *);
#if defined(FG_HAVE_X86)
void fg_ukr_avx2_f32(fg_idx, fg_idx, fg_idx, const float *, fg_idx, fg_idx, const float *,
                     fg_idx, float *, fg_idx, const fg_tile_ep_f32 *);
void fg_ukr_avx2_f64(fg_idx, fg_idx, fg_idx, const double *, fg_idx, fg_idx, const double *,
                     fg_idx, double *, fg_idx, const fg_tile_ep_f64 *);
void fg_ukr_avx512_f32(fg_idx, fg_idx, fg_idx, const float *, fg_idx, fg_idx, const float *,
                       fg_idx, float *, fg_idx, const fg_tile_ep_f32 *);
void fg_ukr_avx512_f64(fg_idx, fg_idx, fg_idx, const double *, fg_idx, fg_idx, const double *,
                       fg_idx, double *, fg_idx, const fg_tile_ep_f64 *);
void fg_packt_avx2_f32(fg_idx, fg_idx, const float *, fg_idx, float *);
void fg_packt_avx2_f64(fg_idx, fg_idx, const double *, fg_idx, double *);
void fg_packt_avx512_f32(fg_idx, fg_idx, const float *, fg_idx, float *);
void fg_packt_avx512_f64(fg_idx, fg_idx, const double *, fg_idx, double *);
void fg_packa_avx512_f32(fg_idx, fg_idx, const float *, fg_idx, float *);
void fg_packa_avx512_f64(fg_idx, fg_idx, const double *, fg_idx, double *);
void fg_dot_avx2_f32(fg_idx, fg_idx, fg_idx, const float *, fg_idx, const float *, fg_idx,
                     float *, fg_idx, const fg_tile_ep_f32 *);
void fg_dot_avx2_f64(fg_idx, fg_idx, fg_idx, const double *, fg_idx, const double *, fg_idx,
                     double *, fg_idx, const fg_tile_ep_f64 *);
void fg_dot_avx512_f32(fg_idx, fg_idx, fg_idx, const float *, fg_idx, const float *, fg_idx,
                       float *, fg_idx, const fg_tile_ep_f32 *);
void fg_dot_avx512_f64(fg_idx, fg_idx, fg_idx, const double *, fg_idx, const double *, fg_idx,
                       double *, fg_idx, const fg_tile_ep_f64 *);
#endif

/* ---- elementwise loops at the CPU's vector width --------------------------------------------
 * Memory-bound loops (optimizer steps) are compiled for the x86-64 baseline, SSE2, like the
 * rest of the C. On glibc/x86 with GCC, FG_VECTOR_CLONES also builds AVX2 and AVX-512 copies
 * of a function and the loader picks one for the CPU (an IFUNC). No FMA contraction
 * (-ffp-contract=off in setup.py), so every copy rounds exactly like the baseline. */
#if defined(FG_HAVE_X86) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) \
    && __GNUC__ >= 12 && !defined(FG_NO_CLONES)
#define FG_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FG_VECTOR_CLONES
#endif

/* ---- threads (pool.c) -------------------------------------------------------------------- */
/* Runs fn(arg, t, n) for t = 0..n-1, t = 0 on the calling thread, the rest on pool workers,
 * and returns when all are done. n is clamped to fg_get_num_threads(); when the pool is busy
 * with another caller's work, everything runs here (n = 1). Returns the n actually used. */
int fg_parallel_run(int n, void (*fn)(void *arg, int t, int n), void *arg);
/* A 64-byte aligned scratch buffer of at least `bytes`, private to the calling thread and
 * kept for its next call (slot 0 or 1: two buffers at once). NULL when memory runs out. */
void *fg_thread_scratch(int slot, size_t bytes);

/* Work done on each finished block of C rows while it is still in cache (the dense layer's
 * bias + activation). Y may equal the GEMM's C (activation in place). */
typedef struct {
    const float *bias; /* may be NULL */
    int act;
    double param;
    float *Y;          /* NULL: no activation pass at all */
    fg_idx ldy;
} fg_epilogue_f32;
typedef struct {
    const double *bias;
    int act;
    double param;
    double *Y;
    fg_idx ldy;
} fg_epilogue_f64;

/* fg_gemm_* plus an optional epilogue (NULL: plain GEMM). */
void fg_gemm_ex_f32(fg_idx M, fg_idx N, fg_idx K, float alpha,
                    const float *A, fg_idx rsa, fg_idx csa, const float *B, fg_idx rsb, fg_idx csb,
                    float beta, float *C, fg_idx ldc, const fg_epilogue_f32 *ep);
void fg_gemm_ex_f64(fg_idx M, fg_idx N, fg_idx K, double alpha,
                    const double *A, fg_idx rsa, fg_idx csa, const double *B, fg_idx rsb,
                    fg_idx csb, double beta, double *C, fg_idx ldc, const fg_epilogue_f64 *ep);

/* The GEMM's paths, which fg_gemm_ex picks among by shape (gemm.c). */
/* The tile paths, direct or packed (gemm_tiles.c): any shape, K may be 0. */
void fg_gemm_tiles_f32(const fg_gemm_isa *isa, fg_idx M, fg_idx N, fg_idx K, float alpha,
                       const float *A, fg_idx rsa, fg_idx csa, const float *B, fg_idx rsb,
                       fg_idx csb, float beta, float *C, fg_idx ldc, const fg_epilogue_f32 *ep);
void fg_gemm_tiles_f64(const fg_gemm_isa *isa, fg_idx M, fg_idx N, fg_idx K, double alpha,
                       const double *A, fg_idx rsa, fg_idx csa, const double *B, fg_idx rsb,
                       fg_idx csb, double beta, double *C, fg_idx ldc,
                       const fg_epilogue_f64 *ep);
/* The dot path (gemm_dot.c): 1..FG_DOT_MAX_M rows of a row-major A (A(i, k) = A[i*rsa + k])
 * against a transposed B (B(k, j) = B[k + j*csb]), K > 0. */
#define FG_DOT_MAX_M 4
void fg_gemm_dot_f32(const fg_gemm_isa *isa, fg_idx M, fg_idx N, fg_idx K, float alpha,
                     const float *A, fg_idx rsa, const float *B, fg_idx csb, float beta,
                     float *C, fg_idx ldc, const fg_epilogue_f32 *ep);
void fg_gemm_dot_f64(const fg_gemm_isa *isa, fg_idx M, fg_idx N, fg_idx K, double alpha,
                     const double *A, fg_idx rsa, const double *B, fg_idx csb, double beta,
                     double *C, fg_idx ldc, const fg_epilogue_f64 *ep);
/* Both paths' epilogue activation on a finished mr x nr block of C: Y = act(C) (gemm_tiles.c).
 * When the block's rows are contiguous in both, one call covers all of them. */
void fg_epilogue_act_f32(const fg_epilogue_f32 *ep, fg_idx mr, fg_idx nr, const float *C,
                         fg_idx ldc, float *Y);
void fg_epilogue_act_f64(const fg_epilogue_f64 *ep, fg_idx mr, fg_idx nr, const double *C,
                         fg_idx ldc, double *Y);

static inline fg_idx fg_min_idx(fg_idx a, fg_idx b) { return a < b ? a : b; }

/* 64-byte aligned scratch memory; NULL on failure. Release with fg_aligned_free. */
void *fg_aligned_malloc(size_t bytes);
void fg_aligned_free(void *p);

#endif
