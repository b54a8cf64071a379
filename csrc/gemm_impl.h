/* gemm_impl.h: the GEMM body, instantiated for float and double by dtype.h (see gemm.c). */

/* NR columns of T make 32 bytes: two SSE2 registers per row of the MR x NR tile, so the
 * 4 x NR accumulator tile stays in the 16 baseline registers for either type. */
#define NR ((fg_idx)(32 / sizeof(T)))
#define NC ((fg_idx)(FG_GEMM_NC_BYTES / sizeof(T)))

static inline fg_idx FG_NAME(min_idx)(fg_idx a, fg_idx b) { return a < b ? a : b; }

/* Bp <- B[0:kc, 0:nc] as ceil(nc/NR) micro-panels of kc rows x NR columns, zero-padded on the
 * right. Loop order follows whichever stride of B is shorter, so the reads stay sequential. */
static void FG_NAME(pack_b)(fg_idx kc, fg_idx nc, const T *B, fg_idx rsb, fg_idx csb, T *Bp)
{
    for (fg_idx j0 = 0; j0 < nc; j0 += NR) {
        const fg_idx nr = FG_NAME(min_idx)(NR, nc - j0);
        const T *b = B + j0 * csb;
        T *d = Bp + j0 * kc;
        if (nr < NR)
            for (fg_idx k = 0; k < kc; k++)
                for (fg_idx j = nr; j < NR; j++)
                    d[k * NR + j] = 0;
        if ((csb < 0 ? -csb : csb) <= (rsb < 0 ? -rsb : rsb)) {
            for (fg_idx k = 0; k < kc; k++)
                for (fg_idx j = 0; j < nr; j++)
                    d[k * NR + j] = b[k * rsb + j * csb];
        } else {
            for (fg_idx j = 0; j < nr; j++)
                for (fg_idx k = 0; k < kc; k++)
                    d[k * NR + j] = b[k * rsb + j * csb];
        }
    }
}

/* acc = A[0:MR, 0:kc] @ Bp-panel (kc x NR). Rows past mr re-read row 0 so the loop bounds stay
 * compile-time constants (their results are never stored). The sums live in a local tile, not
 * in *acc, so the compiler can keep them in registers (acc might otherwise alias Bp). */
static FG_NO_LOOP_VECTORIZE void FG_NAME(micro_kernel)(fg_idx kc, fg_idx mr, const T *A, fg_idx rsa, fg_idx csa,
                                  const T *Bp, T acc[MR][NR])
{
    const T *a[MR];
    T c[MR][NR];
    for (int i = 0; i < MR; i++) {
        a[i] = A + (i < mr ? i : 0) * rsa;
        for (fg_idx j = 0; j < NR; j++)
            c[i][j] = 0;
    }
    for (fg_idx k = 0; k < kc; k++) {
        const T *b = Bp + k * NR;
        for (int i = 0; i < MR; i++) {
            const T aik = a[i][k * csa];
            for (fg_idx j = 0; j < NR; j++)
                c[i][j] += aik * b[j];
        }
    }
    for (int i = 0; i < MR; i++)
        for (fg_idx j = 0; j < NR; j++)
            acc[i][j] = c[i][j];
}

/* C[0:mr, 0:nr] = alpha * acc + beta * C; beta == 0 must not read C (it may hold NaN). */
static void FG_NAME(store_tile)(fg_idx mr, fg_idx nr, T acc[MR][NR], T alpha, T beta, T *C,
                                fg_idx ldc)
{
    for (fg_idx i = 0; i < mr; i++) {
        T *c = C + i * ldc;
        if (beta == 0)
            for (fg_idx j = 0; j < nr; j++)
                c[j] = alpha * acc[i][j];
        else
            for (fg_idx j = 0; j < nr; j++)
                c[j] = alpha * acc[i][j] + beta * c[j];
    }
}

/* Bias + activation over rows [i0, i1) and columns [j0, j0+nc) of C. */
static void FG_NAME(apply_epilogue)(const FG_NAME(fg_epilogue) *ep, fg_idx i0, fg_idx i1,
                                    fg_idx j0, fg_idx nc, T *C, fg_idx ldc)
{
    for (fg_idx i = i0; i < i1; i++) {
        T *c = C + i * ldc + j0;
        if (ep->bias)
            for (fg_idx j = 0; j < nc; j++)
                c[j] += ep->bias[j0 + j];
        if (ep->Y && !(ep->act == FG_ACT_NONE && ep->Y == C))
            FG_NAME(fg_act_forward)(nc, ep->act, ep->param, c, ep->Y + i * ep->ldy + j0);
    }
}

/* Same arithmetic as the packed path, element by element: used only when malloc fails. */
static void FG_NAME(gemm_unpacked)(fg_idx M, fg_idx N, fg_idx K, T alpha, const T *A,
                                   fg_idx rsa, fg_idx csa, const T *B, fg_idx rsb, fg_idx csb,
                                   T beta, T *C, fg_idx ldc)
{
    for (fg_idx i = 0; i < M; i++)
        for (fg_idx j = 0; j < N; j++) {
            T *c = C + i * ldc + j;
            for (fg_idx pc = 0; pc < K; pc += FG_GEMM_KC) {
                const fg_idx kend = FG_NAME(min_idx)(K, pc + FG_GEMM_KC);
                T acc = 0;
                for (fg_idx k = pc; k < kend; k++)
                    acc += A[i * rsa + k * csa] * B[k * rsb + j * csb];
                const T b = pc == 0 ? beta : 1;
                *c = b == 0 ? alpha * acc : alpha * acc + b * *c;
            }
        }
}

void FG_NAME(fg_gemm_ex)(fg_idx M, fg_idx N, fg_idx K, T alpha, const T *A, fg_idx rsa,
                         fg_idx csa, const T *B, fg_idx rsb, fg_idx csb, T beta, T *C,
                         fg_idx ldc, const FG_NAME(fg_epilogue) *ep)
{
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0) { /* empty product: C = beta * C */
        for (fg_idx i = 0; i < M; i++)
            for (fg_idx j = 0; j < N; j++)
                C[i * ldc + j] = beta == 0 ? 0 : beta * C[i * ldc + j];
        if (ep)
            FG_NAME(apply_epilogue)(ep, 0, M, 0, N, C, ldc);
        return;
    }

    const fg_idx kc_max = FG_NAME(min_idx)(K, FG_GEMM_KC);
    const fg_idx nc_max = FG_NAME(min_idx)(N, NC);
    const fg_idx nc_pad = (nc_max + NR - 1) / NR * NR;
    T *Bp = fg_aligned_malloc((size_t)kc_max * (size_t)nc_pad * sizeof(T));
    if (!Bp) {
        FG_NAME(gemm_unpacked)(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, ldc);
        if (ep)
            FG_NAME(apply_epilogue)(ep, 0, M, 0, N, C, ldc);
        return;
    }

    T acc[MR][NR];
    for (fg_idx jc = 0; jc < N; jc += NC) {
        const fg_idx nc = FG_NAME(min_idx)(NC, N - jc);
        for (fg_idx pc = 0; pc < K; pc += FG_GEMM_KC) {
            const fg_idx kc = FG_NAME(min_idx)(FG_GEMM_KC, K - pc);
            const T beta_eff = pc == 0 ? beta : 1; /* later K slices accumulate onto C */
            const int last_slice = pc + kc == K;
            FG_NAME(pack_b)(kc, nc, B + pc * rsb + jc * csb, rsb, csb, Bp);
            for (fg_idx ic = 0; ic < M; ic += MR) {
                const fg_idx mr = FG_NAME(min_idx)(MR, M - ic);
                const T *a = A + ic * rsa + pc * csa;
                for (fg_idx jr = 0; jr < nc; jr += NR) {
                    const fg_idx nr = FG_NAME(min_idx)(NR, nc - jr);
                    FG_NAME(micro_kernel)(kc, mr, a, rsa, csa, Bp + jr * kc, acc);
                    FG_NAME(store_tile)(mr, nr, acc, alpha, beta_eff, C + ic * ldc + jc + jr,
                                        ldc);
                }
                /* These MR rows of this column panel are final and still in L1. */
                if (last_slice && ep)
                    FG_NAME(apply_epilogue)(ep, ic, ic + mr, jc, nc, C, ldc);
            }
        }
    }
    fg_aligned_free(Bp);
}

void FG_NAME(fg_gemm)(fg_idx M, fg_idx N, fg_idx K, T alpha, const T *A, fg_idx rsa, fg_idx csa,
                      const T *B, fg_idx rsb, fg_idx csb, T beta, T *C, fg_idx ldc)
{
    FG_NAME(fg_gemm_ex)(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, ldc, NULL);
}

#undef NR
#undef NC
