/* gemm_dot_simd.h: the GEMM's dot-product kernel (fastgrad.h, fg_dot_*) with SIMD intrinsics,
 * written once over a few vector macros and instantiated by each ISA file (gemm_avx512.c,
 * gemm_avx2.c) for float and double. Include it before gemm_ukr_simd.h, which undefines the
 * macros the two share; this header undefines only its own.
 *
 * The including file defines, besides the shared T, EP, V, VL, V_ZERO, V_LOAD, V_FMA, MASK,
 * MASK_FOR, V_LOADM (see gemm_ukr_simd.h):
 *   DOT, DOT_GROUPS, DOT_ROWS   the exported function and its inlined helpers' names
 *   DOT_NV           vectors per output: DOT_NV * VL = 64 bytes of partial sums
 *   DOT_MB           rows of A per pass over a group of W's rows (as many as registers allow)
 *   MASK_ANDNOT(a, b) the lanes of mask b not in mask a
 *   REDUCE4(acc, s)  s[r] = the sum of row r's partial sums, for the 4 rows of acc[4][DOT_NV],
 *                    by the tree below, in a few shuffles and adds for all four at once
 *
 * Every output is one dot product over K in the same order, whatever its position: its 64
 * bytes of partial sums take k = l, l + LANES, l + 2 LANES, ... into lane l, one k after the
 * other (the K tail is one masked step of the same lanes); the sum of the lanes is then a
 * tree, halves first (lane l + lane l + LANES/2, then l + LANES/4, ... down to one). So
 * results depend neither on how N was split over threads, nor on which of the four rows of a
 * pass held the output, nor on the arrays' alignment (see DOT_ROWS).
 */

#define DOT_LANES (DOT_NV * VL)
#define DOT_CLAMP(n) ((n) < 0 ? 0 : (n) > VL ? VL : (n))
/* lanes [lo, hi) of one vector */
#define DOT_MASK_RANGE(lo, hi) MASK_ANDNOT(MASK_FOR(DOT_CLAMP(lo)), MASK_FOR(DOT_CLAMP(hi)))

/* One step of k: the 64 bytes at A + k and w[r] + k for every row. Masked (the first step of
 * a shifted pass, the K tail), only the lanes in m are read: none outside the rows, although
 * the first step's address is before them; the zero lanes add nothing. */
#define DOT_STEP(LOAD_X, LOAD_W) \
    for (int v = 0; v < DOT_NV; v++) { \
        V x[DOT_MB]; \
        for (int i = 0; i < mb; i++) \
            x[i] = LOAD_X(A + i * rsa + k + v * VL); \
        for (int r = 0; r < 4; r++) { \
            const V b = LOAD_W(w[r] + k + v * VL); \
            for (int i = 0; i < mb; i++) \
                acc[i][r][v] = V_FMA(x[i], b, acc[i][r][v]); \
        } \
    }
#define DOT_LOAD_MASKED(p) V_LOADM(p, m[v])

/* s[i][r] = sum_k A[i*rsa + k] * w[r][k] for i < mb, r < 4. Each vector of W is loaded once
 * and used for mb rows of A; each vector of A once for the 4 rows of W: mb * 4 * DOT_NV
 * independent accumulators, enough to hide the FMA latency, and no more loads per FMA than
 * the load ports sustain.
 *
 * shift > 0: the rows of W all start `shift` lanes past a 64-byte boundary, and the steps
 * start that many lanes before k = 0 so that the loads of W are aligned (a load split over two
 * cache lines costs more than its share of the stream). Lane l then sums, in the same order,
 * the k that lane l - shift (mod DOT_LANES) of an unshifted pass would: the lanes are rotated.
 * The tree adds lane l to lane l + DOT_LANES/2, then l to l + DOT_LANES/4 among those, and so
 * on: every step pairs lanes in a way a rotation maps onto itself, so the same two values meet
 * in every add (in either order, which IEEE addition does not notice) and the sum comes out
 * the very same bits, with no rotating back. */
static inline __attribute__((always_inline)) void
DOT_ROWS(const int mb, fg_idx K, const T *A, fg_idx rsa, const T *const w[4], int shift,
         T s[DOT_MB][4])
{
    V acc[DOT_MB][4][DOT_NV];
    for (int i = 0; i < mb; i++)
        for (int r = 0; r < 4; r++)
            for (int v = 0; v < DOT_NV; v++)
                acc[i][r][v] = V_ZERO();
    MASK m[DOT_NV];
    fg_idx k = -shift; /* the k of lane 0 */
    if (shift) {
        const fg_idx hi = K + shift < DOT_LANES ? K + shift : DOT_LANES;
        for (int v = 0; v < DOT_NV; v++)
            m[v] = DOT_MASK_RANGE(shift - v * VL, hi - v * VL);
        DOT_STEP(DOT_LOAD_MASKED, DOT_LOAD_MASKED)
        k += DOT_LANES;
    }
    for (; k + DOT_LANES <= K; k += DOT_LANES)
        DOT_STEP(V_LOAD, V_LOAD)
    if (k < K) {
        for (int v = 0; v < DOT_NV; v++)
            m[v] = DOT_MASK_RANGE(0 - v * VL, K - k - v * VL);
        DOT_STEP(DOT_LOAD_MASKED, DOT_LOAD_MASKED)
    }
    for (int i = 0; i < mb; i++)
        REDUCE4(acc[i], s[i]);
}

/* c[r] = the tile epilogue of s[r], for r < n (fastgrad.h). */
#define DOT_STORE(n, s, c, bias, alpha, beta, relu) \
    do { \
        for (fg_idx r = 0; r < (n); r++) { \
            T x = (s)[r]; \
            if ((alpha) != 1) \
                x = (alpha) * x; \
            if ((beta) != 0) /* beta == 0 must not read C: it may hold NaN */ \
                x = x + (beta) * (c)[r]; \
            if (bias) \
                x = x + (bias)[r]; \
            if (relu) /* as fg_act_forward: NaN is not < 0, so it propagates */ \
                x = x < 0 ? 0 : x; \
            (c)[r] = x; \
        } \
    } while (0)

/* All N outputs of M rows of A, mb rows at a time (mb divides M). */
static inline __attribute__((always_inline)) void
DOT_GROUPS(const int mb, fg_idx M, fg_idx N, fg_idx K, const T *A, fg_idx rsa, const T *B,
           fg_idx csb, T *C, fg_idx ldc, const EP *ep)
{
    /* Locals, not ep->...: a store to C could alias those, and they would be read again. */
    const T alpha = ep->alpha, beta = ep->beta, *bias = ep->bias;
    const int relu = ep->relu, backward = ep->backward;
    /* Aligned loads of 4 rows at once need them equally misaligned: rows a whole number of
     * cache lines apart, as in most layers. */
    const int shift = csb * sizeof(T) % 64 == 0 ? (int)((uintptr_t)B % 64 / sizeof(T)) : 0;
    /* The groups of 4 rows of W, first to last or (backward) last to first. */
    const fg_idx last = (N - 1) / 4 * 4, step = backward ? -4 : 4;
    for (fg_idx g = 0, j = backward ? last : 0; g <= last; g += 4, j += step) {
        const fg_idx nr = N - j < 4 ? N - j : 4;
        /* A last group of fewer than 4 rows repeats its last one (in L1 by then): the same
         * code, so the same arithmetic, for every output, and nothing read past W. */
        const T *w[4];
        for (int r = 0; r < 4; r++)
            w[r] = B + (j + (r < nr ? r : nr - 1)) * csb;
        /* Further passes of A's rows over the group find its rows of W in L1. */
        for (fg_idx i0 = 0; i0 < M; i0 += mb) {
            T s[DOT_MB][4];
            DOT_ROWS(mb, K, A + i0 * rsa, rsa, w, shift, s);
            for (int i = 0; i < mb; i++) {
                T *c = C + (i0 + i) * ldc + j;
                if (nr == 4) /* a constant trip count: these loops become vector code */
                    DOT_STORE(4, s[i], c, bias ? bias + j : NULL, alpha, beta, relu);
                else
                    DOT_STORE(nr, s[i], c, bias ? bias + j : NULL, alpha, beta, relu);
            }
        }
    }
}

void DOT(fg_idx M, fg_idx N, fg_idx K, const T *A, fg_idx rsa, const T *B, fg_idx csb, T *C,
         fg_idx ldc, const EP *ep)
{
    /* All of A's rows in one pass where the registers allow (mb a constant in each case, so
     * the loops over it unroll), else one at a time. */
    switch (M <= DOT_MB ? M : 1) {
#define FG_CASE(m) case m: DOT_GROUPS(m, M, N, K, A, rsa, B, csb, C, ldc, ep); break;
#if DOT_MB >= 4
    FG_CASE(4)
#endif
#if DOT_MB >= 3
    FG_CASE(3)
#endif
#if DOT_MB >= 2
    FG_CASE(2)
#endif
    FG_CASE(1)
#undef FG_CASE
    default: break;
    }
}

#undef DOT_LANES
#undef DOT_CLAMP
#undef DOT_MASK_RANGE
#undef DOT_STEP
#undef DOT_STORE
#undef DOT_LOAD_MASKED
#undef DOT
#undef DOT_ROWS
#undef DOT_GROUPS
#undef DOT_NV
#undef DOT_MB
#undef REDUCE4
#undef MASK_ANDNOT
