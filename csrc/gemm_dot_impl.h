/* gemm_dot_impl.h: the GEMM's dot path and the portable dot kernel, instantiated for float and
 * double by dtype.h (gemm_dot.c). */

/* ---- few rows against a transposed B: dot products ------------------------------------------
 * The dense layer's forward at batch 1..FG_DOT_MAX_M (inference) multiplies a few rows of x by
 * W^T with W row-major: each output is a dot product of two contiguous runs. Packing W for the
 * micro-kernel would cost a full extra pass over it for a handful of rows, so these shapes
 * stream W once instead, through a dot kernel from the dispatch table (fg_dot_*: AVX-512 and
 * AVX2 in gemm_dot_simd.h, the portable one below). A kernel takes 4 rows of W at a time and
 * every row of x against them, so each vector of W is loaded once for all rows of x and each
 * vector of x once for 4 rows of W, with enough independent sums to hide the add latency; the
 * 4 rows' partial sums then reduce together in a few shuffles and adds. The SIMD kernels also
 * load W aligned where its rows allow (gemm_dot_simd.h). At batch 1 this streams W at close
 * to the speed of a plain read of it from L2 or L3.
 *
 * The order of each sum is fixed, whatever the output's position, thread or alignment: 64
 * bytes of partial sums (16 floats, 8 doubles), lane l taking k = l, l + 64/sizeof(T), ... one
 * k after the other (the tail of K included), then a tree over the lanes, halves first. The
 * SIMD kernels use FMA, the portable one a multiply then an add. */
#define FG_DOT_LANES ((int)(64 / sizeof(T)))

/* The sum of the lanes by the tree of the SIMD kernels, halves first; written out step by step,
 * as GCC leaves a loop over the halving step rolled, and acc in memory. */
static inline T FG_NAME(lanes_sum)(T *acc)
{
    if (FG_DOT_LANES == 16)
        for (int l = 0; l < 8; l++)
            acc[l] += acc[l + 8];
    for (int l = 0; l < 4; l++)
        acc[l] += acc[l + 4];
    for (int l = 0; l < 2; l++)
        acc[l] += acc[l + 2];
    return acc[0] + acc[1];
}

/* s[r] = sum_k a[k] w[r][k] for the 4 rows of w, in the order above. One array of partial
 * sums per row, not one 2-D array: GCC keeps small arrays in registers, not big ones. */
static inline void FG_NAME(dot4)(fg_idx K, const T *restrict a, const T *const w[4], T s[4])
{
    T acc0[FG_DOT_LANES] = {0}, acc1[FG_DOT_LANES] = {0}, acc2[FG_DOT_LANES] = {0},
      acc3[FG_DOT_LANES] = {0};
    const T *restrict w0 = w[0], *restrict w1 = w[1], *restrict w2 = w[2], *restrict w3 = w[3];
    fg_idx k = 0;
    for (; k + FG_DOT_LANES <= K; k += FG_DOT_LANES)
        for (int l = 0; l < FG_DOT_LANES; l++) {
            const T x = a[k + l];
            acc0[l] += x * w0[k + l];
            acc1[l] += x * w1[k + l];
            acc2[l] += x * w2[k + l];
            acc3[l] += x * w3[k + l];
        }
    for (int l = 0; k + l < K; l++) {
        const T x = a[k + l];
        acc0[l] += x * w0[k + l];
        acc1[l] += x * w1[k + l];
        acc2[l] += x * w2[k + l];
        acc3[l] += x * w3[k + l];
    }
    s[0] = FG_NAME(lanes_sum)(acc0);
    s[1] = FG_NAME(lanes_sum)(acc1);
    s[2] = FG_NAME(lanes_sum)(acc2);
    s[3] = FG_NAME(lanes_sum)(acc3);
}

FG_VECTOR_CLONES void FG_NAME(fg_dot_generic)(fg_idx M, fg_idx N, fg_idx K, const T *A,
                                              fg_idx rsa, const T *B, fg_idx csb, T *C,
                                              fg_idx ldc, const FG_NAME(fg_tile_ep) *ep)
{
    /* Locals, not ep->...: a store to C could alias those, and they would be read again. */
    const T alpha = ep->alpha, beta = ep->beta, *bias = ep->bias;
    const int relu = ep->relu, backward = ep->backward;
    /* The groups of 4 rows of W, first to last or (backward) last to first. */
    const fg_idx last = (N - 1) / 4 * 4, step = backward ? -4 : 4;
    for (fg_idx g = 0, j = backward ? last : 0; g <= last; g += 4, j += step) {
        const fg_idx nr = fg_min_idx(4, N - j);
        /* A last group of fewer than 4 rows repeats its last one: the same arithmetic for
         * every output, and nothing read past W. */
        const T *w[4];
        for (int r = 0; r < 4; r++)
            w[r] = B + (j + (r < nr ? r : nr - 1)) * csb;
        for (fg_idx i = 0; i < M; i++) { /* rows after the first find the group in L1 */
            T s[4];
            FG_NAME(dot4)(K, A + i * rsa, w, s);
            T *c = C + i * ldc + j;
            for (fg_idx r = 0; r < nr; r++) {
                T x = s[r];
                if (alpha != 1)
                    x = alpha * x;
                if (beta != 0) /* beta == 0 must not read C: it may hold NaN */
                    x = x + beta * c[r];
                if (bias)
                    x = x + bias[j + r];
                if (relu) /* as fg_act_forward: NaN is not < 0, so it propagates */
                    x = x < 0 ? 0 : x;
                c[r] = x;
            }
        }
    }
}

/* The table's dot kernel, then any activation other than an in-place ReLU (which the kernel
 * applied) on the finished rows, as run_tile does for a tile. */
static void FG_NAME(dot_run)(const fg_gemm_isa *isa, fg_idx M, fg_idx N, fg_idx K, T alpha,
                             const T *A, fg_idx rsa, const T *B, fg_idx csb, T beta, T *C,
                             fg_idx ldc, const FG_NAME(fg_epilogue) *ep, int backward)
{
    FG_NAME(fg_tile_ep) te = {alpha, beta, ep ? ep->bias : NULL, 0, backward};
    if (ep)
        te.relu = ep->act == FG_ACT_RELU && ep->Y == C;
    isa->FG_NAME(dot)(M, N, K, A, rsa, B, csb, C, ldc, &te);
    if (ep && ep->Y && !te.relu && !(ep->act == FG_ACT_NONE && ep->Y == C))
        FG_NAME(fg_epilogue_act)(ep, M, N, C, ldc, ep->Y);
}

/* The dot path split over threads by output columns (rows of W): each output is still summed
 * in its fixed order in one thread, so results do not depend on the split. Worth it once W is
 * big enough that each thread streams its part from its own cache instead of all of W from
 * one. */
#define FG_DOT_BYTES_PER_THREAD (256 * 1024)

typedef struct {
    const fg_gemm_isa *isa;
    fg_idx M, N, K, rsa, csb, ldc;
    T alpha, beta;
    const T *A, *B;
    T *C;
    const FG_NAME(fg_epilogue) *ep;
    int backward; /* visit the groups of W's rows last first */
} FG_NAME(dot_job);

static void FG_NAME(dot_part)(void *raw, int t, int n)
{
    const FG_NAME(dot_job) *d = raw;
    /* Column ranges in multiples of 16: whole groups of 4 rows of W, and no two threads
     * writing floats of one cache line of C. */
    const fg_idx blocks = (d->N + 15) / 16;
    const fg_idx lo = (blocks * t / n) * 16, hi_raw = (blocks * (t + 1) / n) * 16;
    const fg_idx hi = hi_raw < d->N ? hi_raw : d->N;
    if (lo >= hi)
        return;
    FG_NAME(fg_epilogue) e, *ep = NULL;
    if (d->ep) {
        e = *d->ep;
        e.bias = e.bias ? e.bias + lo : NULL;
        e.Y = e.Y ? e.Y + lo : NULL;
        ep = &e;
    }
    FG_NAME(dot_run)(d->isa, d->M, hi - lo, d->K, d->alpha, d->A, d->rsa, d->B + lo * d->csb,
                     d->csb, d->beta, d->C + lo, d->ldc, ep, d->backward);
}

void FG_NAME(fg_gemm_dot)(const fg_gemm_isa *isa, fg_idx M, fg_idx N, fg_idx K, T alpha,
                          const T *A, fg_idx rsa, const T *B, fg_idx csb, T beta, T *C,
                          fg_idx ldc, const FG_NAME(fg_epilogue) *ep)
{
    const int n = (int)((double)N * (double)K * sizeof(T) / FG_DOT_BYTES_PER_THREAD);
    /* One direction for the whole call, decided here: every thread's part goes that way. */
    FG_NAME(dot_job) d = {isa, M, N, K, rsa, csb, ldc, alpha, beta, A, B, C, ep,
                          fg_dot_backward(B)};
    if (n > 1)
        fg_parallel_run(n, FG_NAME(dot_part), &d);
    else
        FG_NAME(dot_run)(isa, M, N, K, alpha, A, rsa, B, csb, beta, C, ldc, ep, d.backward);
}

#undef FG_DOT_LANES
