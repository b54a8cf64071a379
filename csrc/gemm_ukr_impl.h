/* gemm_ukr_impl.h: the SIMD register-tile micro-kernel, written once over a few vector macros
 * and instantiated by each ISA file (gemm_avx512.c, gemm_avx2.c) for float and double.
 *
 * The including file defines:
 *   T, EP            element type and its tile-epilogue struct (internal.h)
 *   V, VL, MR        vector type, lanes per vector, rows of the tile; NR = 2 * VL columns
 *   UKR              the exported function name
 *   V_ZERO() V_LOAD(p) V_STORE(p, v) V_BCAST(x) V_FMA(a, b, c) = a*b + c, V_MUL, V_ADD,
 *   V_MAX(a, b)      (b when either is NaN, so V_MAX(0, x) propagates NaN)
 *   MASK, MASK_FOR(n) (first n lanes), V_LOADM(p, m), V_STOREM(p, m, v): masked, non-faulting
 *
 * Each of the MR x 2 accumulators stays in a register for the whole k loop: per k step, two
 * loads of B, MR broadcasts of A, 2*MR FMAs. The row count is a compile-time constant in each
 * case of the switch below, so the tile loops unroll completely and short edge tiles (mr < MR)
 * do only their own work. Elements are accumulated one k at a time in order, whatever the
 * tile's position, so a result never depends on how C was cut into tiles (or threads).
 */

#define NV 2
#define NR (NV * VL)

static inline __attribute__((always_inline)) void
TILE_FN(const int mr, fg_idx kc, fg_idx nr, const T *A, fg_idx rsa, fg_idx csa, const T *B,
        fg_idx rsb, T *C, fg_idx ldc, const EP *ep)
{
    V c[MR][NV];
    MASK m[NV];
    const int full = nr == NR;
    for (int v = 0; v < NV; v++) {
        fg_idx left = nr - v * VL;
        m[v] = MASK_FOR(left < 0 ? 0 : left > VL ? VL : left);
    }
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < NV; v++)
            c[i][v] = V_ZERO();

    if (full) {
        for (fg_idx k = 0; k < kc; k++) {
            const V b0 = V_LOAD(B), b1 = V_LOAD(B + VL);
            for (int i = 0; i < mr; i++) {
                const V a = V_BCAST(A[i * rsa]);
                c[i][0] = V_FMA(a, b0, c[i][0]);
                c[i][1] = V_FMA(a, b1, c[i][1]);
            }
            A += csa;
            B += rsb;
        }
    } else {
        for (fg_idx k = 0; k < kc; k++) {
            const V b0 = V_LOADM(B, m[0]), b1 = V_LOADM(B + VL, m[1]);
            for (int i = 0; i < mr; i++) {
                const V a = V_BCAST(A[i * rsa]);
                c[i][0] = V_FMA(a, b0, c[i][0]);
                c[i][1] = V_FMA(a, b1, c[i][1]);
            }
            A += csa;
            B += rsb;
        }
    }

    /* Epilogue on the registers: scale, merge with C, bias, ReLU, one store. */
    const V alpha = V_BCAST(ep->alpha), beta = V_BCAST(ep->beta), zero = V_ZERO();
    V bias[NV];
    for (int v = 0; v < NV; v++)
        bias[v] = !ep->bias ? zero : full ? V_LOAD(ep->bias + v * VL)
                                          : V_LOADM(ep->bias + v * VL, m[v]);
    const int scale = ep->alpha != 1, merge = ep->beta != 0;
    for (int i = 0; i < mr; i++) {
        T *cr = C + i * ldc;
        for (int v = 0; v < NV; v++) {
            V x = c[i][v];
            if (scale)
                x = V_MUL(alpha, x);
            if (merge)
                x = V_FMA(beta, full ? V_LOAD(cr + v * VL) : V_LOADM(cr + v * VL, m[v]), x);
            if (ep->bias)
                x = V_ADD(x, bias[v]);
            if (ep->relu)
                x = V_MAX(zero, x);
            if (full)
                V_STORE(cr + v * VL, x);
            else
                V_STOREM(cr + v * VL, m[v], x);
        }
    }
}

void UKR(fg_idx kc, fg_idx mr, fg_idx nr, const T *A, fg_idx rsa, fg_idx csa, const T *B,
         fg_idx rsb, T *C, fg_idx ldc, const EP *ep)
{
    switch (mr) {
#define FG_CASE(r) case r: TILE_FN(r, kc, nr, A, rsa, csa, B, rsb, C, ldc, ep); break;
#if MR >= 8
    FG_CASE(8)
#endif
#if MR >= 7
    FG_CASE(7)
#endif
    FG_CASE(6) FG_CASE(5) FG_CASE(4) FG_CASE(3) FG_CASE(2) FG_CASE(1)
#undef FG_CASE
    default: break;
    }
}

#undef NV
#undef NR
