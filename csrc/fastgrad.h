/* fastgrad.h: every C kernel of fastgrad, one line of comment each, then what the kernel files
 * share among themselves (the GEMM's dispatch table and paths, the thread pool, scratch memory).
 *
 * Plain C99, no Python headers. The Cython binding (fastgrad/_kernels.pyx) validates every
 * argument (shapes, dtypes, contiguity, aliasing) before calling in; the kernels trust it and
 * check nothing twice. Matrices are row-major; a GEMM operand is addressed by a row stride and
 * a column stride (in elements), so a transposed operand is a stride swap, never a copy.
 *
 * Each kernel exists for float (_f32) and double (_f64); the .c files write the body once and
 * instantiate it for both through csrc/dtype.h. The only global state is the dispatch table
 * (gemm_dispatch.c), the thread pool (pool.c) and the dot path's direction hints (gemm_dot.c,
 * which change no result).
 */
#ifndef FASTGRAD_H
#define FASTGRAD_H

#include <stddef.h>
#include <stdint.h>
#include "activation.h"

typedef ptrdiff_t fg_idx; /* sizes and strides, in elements; signed so negative strides work */

/* Activations, fused into the dense layer or applied elementwise: one per row of the table in
 * activation.h, numbered in its order. */
typedef enum {
#define FG_ENUM_ROW(name, code, reads) code,
    FG_ACTIVATIONS(FG_ENUM_ROW)
#undef FG_ENUM_ROW
    FG_ACT_COUNT
} fg_act;
/* The table's name of an activation ("relu", ...) and what its derivative reads (FG_READS_*);
 * act in [0, FG_ACT_COUNT). */
const char *fg_act_name(int act);
int fg_act_reads(int act);

/* ---- GEMM (gemm.c) -------------------------------------------------------------------- */
/* C[M,N] = alpha * A[M,K] @ B[K,N] + beta * C; A(i,k) = A[i*rsa + k*csa], B likewise; C rows
 * are contiguous with row stride ldc. beta == 0 overwrites C without reading it. Threads split
 * C's rows or columns, never K, so the result is bit-identical for every thread count. */
void fg_gemm_f32(fg_idx M, fg_idx N, fg_idx K, float alpha,
                 const float *A, fg_idx rsa, fg_idx csa, const float *B, fg_idx rsb, fg_idx csb,
                 float beta, float *C, fg_idx ldc);
void fg_gemm_f64(fg_idx M, fg_idx N, fg_idx K, double alpha,
                 const double *A, fg_idx rsa, fg_idx csa, const double *B, fg_idx rsb, fg_idx csb,
                 double beta, double *C, fg_idx ldc);

/* ---- dense layer (dense.c): y = act(x W^T + b), W in PyTorch's (out, in) layout ------------ */
/* Y[M,N] = act(X[M,K] @ W[N,K]^T + b[N]); b may be NULL; Z (may be NULL) receives x W^T + b. */
void fg_dense_forward_f32(fg_idx M, fg_idx N, fg_idx K, const float *X, const float *W,
                          const float *b, int act, double param, float *Z, float *Y);
void fg_dense_forward_f64(fg_idx M, fg_idx N, fg_idx K, const double *X, const double *W,
                          const double *b, int act, double param, double *Z, double *Y);
/* The chain rule through one dense layer. First dY is overwritten with dZ = dY * act'(Z, Y)
 * (Z or Y may be NULL where act does not need it); then, for each non-NULL output:
 * dX[M,K] = dZ @ W, dW[N,K] (+)= dZ^T @ X, db[N] (+)= column sums of dZ ("+=" when accumulate). */
void fg_dense_backward_f32(fg_idx M, fg_idx N, fg_idx K, const float *X, const float *W,
                           const float *Z, const float *Y, int act, double param, float *dY,
                           float *dX, float *dW, float *db, int accumulate);
void fg_dense_backward_f64(fg_idx M, fg_idx N, fg_idx K, const double *X, const double *W,
                           const double *Z, const double *Y, int act, double param, double *dY,
                           double *dX, double *dW, double *db, int accumulate);

/* ---- elementwise (eltwise.c) --------------------------------------------------------------- */
/* y[i] = act(x[i]); y may alias x. */
void fg_act_forward_f32(fg_idx n, int act, double param, const float *x, float *y);
void fg_act_forward_f64(fg_idx n, int act, double param, const double *x, double *y);
/* dx[i] = dy[i] * act'(x[i]), using x or the saved output y, whichever is stabler for act
 * (either may be NULL where act does not need it); dx may alias dy. */
void fg_act_backward_f32(fg_idx n, int act, double param, const float *x, const float *y,
                         const float *dy, float *dx);
void fg_act_backward_f64(fg_idx n, int act, double param, const double *x, const double *y,
                         const double *dy, double *dx);

/* y[i] = erf(x[i]), the C library's error function; y may alias x. */
void fg_erf_f32(fg_idx n, const float *x, float *y);
void fg_erf_f64(fg_idx n, const double *x, double *y);

/* ---- losses (loss.c); sums are blocked and in double, so they are deterministic ------------- */
/* Softmax cross-entropy per row, fused: loss[i] = -sum_c q_ic log softmax(x_i)_c with q the
 * (label-smoothed) one-hot target, and dX[i,:] = softmax(x_i) - q_i, in one pass over each row.
 * Rows whose target == ignore_index get loss 0 and gradient 0. Targets are trusted in [0, C). */
void fg_cross_entropy_f32(fg_idx M, fg_idx C, const float *X, const int64_t *target,
                          int64_t ignore_index, double label_smoothing, float *loss, float *dX);
void fg_cross_entropy_f64(fg_idx M, fg_idx C, const double *X, const int64_t *target,
                          int64_t ignore_index, double label_smoothing, double *loss, double *dX);
/* Writes sq = (pred - target)^2 (rounded to T) and dX = 2 (pred - target), each unless NULL;
 * returns the sum of the squares, added in fg_sum's order. In place on pred or target is safe. */
double fg_mse_f32(fg_idx n, const float *pred, const float *target, float *sq, float *dX);
double fg_mse_f64(fg_idx n, const double *pred, const double *target, double *sq, double *dX);
/* y = dX s: a reduction's backward over a saved local derivative. */
void fg_scale_f32(fg_idx n, const float *dX, float s, float *y);
void fg_scale_f64(fg_idx n, const double *dX, double s, double *y);
/* Deterministic sum of n elements (blocked pairwise, accumulated in double). */
double fg_sum_f32(fg_idx n, const float *x);
double fg_sum_f64(fg_idx n, const double *x);

/* ---- optimizers (optim.c): one pass over each parameter buffer, PyTorch's formulas --------- */
/* SGD: g' = g + wd*p; buf = first ? g' : momentum*buf + (1-dampening)*g';
 * step = nesterov ? g' + momentum*buf : buf (g' when momentum == 0, buf may then be NULL);
 * p -= lr*step. */
void fg_sgd_step_f32(fg_idx n, float *p, const float *g, float *buf, double lr, double momentum,
                     double dampening, double weight_decay, int nesterov, int first);
void fg_sgd_step_f64(fg_idx n, double *p, const double *g, double *buf, double lr,
                     double momentum, double dampening, double weight_decay, int nesterov,
                     int first);
/* Adam's bias corrections at 1-based `step`: bc[0] = 1 - beta1^step, bc[1] = 1 - beta2^step. */
void fg_adam_bias_corrections(double beta1, double beta2, int64_t step, double *bc);
/* Adam (decoupled = 0) or AdamW (decoupled = 1) with the step's bias corrections bc1, bc2
 * (fg_adam_bias_corrections); vmax non-NULL means amsgrad. m, v (and vmax) are updated in
 * place with p. */
void fg_adam_step_f32(fg_idx n, float *p, const float *g, float *m, float *v, float *vmax,
                      double lr, double beta1, double beta2, double eps, double weight_decay,
                      int decoupled, double bc1, double bc2);
void fg_adam_step_f64(fg_idx n, double *p, const double *g, double *m, double *v, double *vmax,
                      double lr, double beta1, double beta2, double eps, double weight_decay,
                      int decoupled, double bc1, double bc2);

/* ---- softmax (softmax.c): over one axis of a contiguous (outer, n, inner) array ------------ */
/* y = softmax(x) along the n axis (log_softmax != 0: its log, as x - max - log sum exp). */
void fg_softmax_forward_f32(fg_idx outer, fg_idx n, fg_idx inner, const float *x, float *y,
                            int log_softmax);
void fg_softmax_forward_f64(fg_idx outer, fg_idx n, fg_idx inner, const double *x, double *y,
                            int log_softmax);
/* dx from the saved output y: softmax dx = y*(dy - sum dy*y); log_softmax dx = dy - exp(y)*sum dy.
 * dx may alias dy (each row is read whole before it is written). */
void fg_softmax_backward_f32(fg_idx outer, fg_idx n, fg_idx inner, const float *y,
                             const float *dy, float *dx, int log_softmax);
void fg_softmax_backward_f64(fg_idx outer, fg_idx n, fg_idx inner, const double *y,
                             const double *dy, double *dx, int log_softmax);

/* ---- threads and dispatch (pool.c, gemm_dispatch.c) ---------------------------------------- */
void fg_set_num_threads(int n);  /* n >= 1; the binding validates */
int fg_get_num_threads(void);
const char *fg_isa_name(void);    /* "avx512", "avx2" or "generic": the GEMM path in use */
/* Switches the GEMM path to `name` if this CPU runs it (returns 1), else changes nothing
 * (returns 0). For tests and benchmarks; a GEMM already running keeps the path it started with. */
int fg_set_isa(const char *name);
/* The active path's blocking for a type of `itemsize` bytes: MR, NR, KC, MC, NC. */
void fg_gemm_blocking(int itemsize, fg_idx out[6]);

/* ==== Between the kernel files: what they share and the binding does not call ==== */
/* ---- GEMM micro-kernels and the per-ISA dispatch table (gemm_dispatch.c) ------------------ */
/* What a micro-kernel does to its finished register tile before storing it:
 * C = alpha * acc + beta * C (beta == 0: C is not read), then + bias[j], then max(0, .) when
 * relu. bias points at the tile's first column. backward (dot kernels only): visit the groups
 * of W's rows last first (gemm_dot.c says why; the results are the same). */
typedef struct { float alpha, beta; const float *bias; int relu, backward; } fg_tile_ep_f32;
typedef struct { double alpha, beta; const double *bias; int relu, backward; } fg_tile_ep_f64;

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
/* mr x nr tiles on the packed path; mr_direct rows (<= the micro-kernel's tallest tile) on
 * the direct path, where A is read in place and no sliver width ties the tile to MR. */
typedef struct { fg_idx mr, nr, kc, mc, nc, mr_direct; } fg_blocking;

/* Packs a transposed B (B(k, j) = B[k + j*csb]) into NR-wide panels of kc rows, as the
 * micro-kernel reads them; columns past nc hold junk it never uses. The same signature packs
 * a row-major A (A(i, k) = A[i*rsa + k]) into MR-row slivers: packa(kc, mc, A, rsa, Ap). */
typedef void (*fg_packt_f32)(fg_idx kc, fg_idx nc, const float *B, fg_idx csb, float *Bp);
typedef void (*fg_packt_f64)(fg_idx kc, fg_idx nc, const double *B, fg_idx csb, double *Bp);

/* A dot kernel (gemm_dot.c, gemm_dot_simd.h): C[i*ldc + j] = the tile epilogue (alpha, beta,
 * bias[j], relu) of sum_k A[i*rsa + k] * B[k + j*csb] for i < M <= 4, j < N; B is the
 * transpose of a row-major W, so both runs are contiguous. Every output is summed in the same
 * fixed order, whatever its position (gemm_dot_simd.h), so any split of N gives the same bits. */
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
/* Runs fn(arg, t, n) for t = 0..n-1 and returns when all are done: the caller runs t = 0,
 * pool workers the others unless the caller, done with its own, claims them first. fn must
 * compute part t the same way on any thread. n is clamped to fg_get_num_threads(); when the
 * pool is busy with another caller's work, everything runs here (n = 1). Returns the n
 * actually used. */
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
