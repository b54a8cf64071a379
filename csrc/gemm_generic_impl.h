/* gemm_generic_impl.h: the portable micro-kernel, GMR x GNR with GNR columns = 32 bytes (two
 * SSE2 registers), instantiated for float and double by dtype.h (gemm_generic.c). */

#define GMR 4
#define GNR ((fg_idx)(32 / sizeof(T)))

static FG_NO_LOOP_VECTORIZE void FG_NAME(ukr_generic_full)(fg_idx kc, const T *A, fg_idx rsa,
                                                           fg_idx csa, const T *B, fg_idx rsb,
                                                           T acc[GMR][GNR])
{
    T c[GMR][GNR];
    for (int i = 0; i < GMR; i++)
        for (fg_idx j = 0; j < GNR; j++)
            c[i][j] = 0;
    for (fg_idx k = 0; k < kc; k++) {
        const T *b = B + k * rsb;
        for (int i = 0; i < GMR; i++) {
            const T aik = A[i * rsa + k * csa];
            for (fg_idx j = 0; j < GNR; j++)
                c[i][j] += aik * b[j];
        }
    }
    for (int i = 0; i < GMR; i++)
        for (fg_idx j = 0; j < GNR; j++)
            acc[i][j] = c[i][j];
}

void FG_NAME(fg_ukr_generic)(fg_idx kc, fg_idx mr, fg_idx nr, const T *A, fg_idx rsa,
                             fg_idx csa, const T *B, fg_idx rsb, T *C, fg_idx ldc,
                             const FG_NAME(fg_tile_ep) *ep)
{
    /* The sums live in a local tile so the compiler keeps them in registers; every element is
     * accumulated one k at a time in order, on full and edge tiles alike. */
    T c[GMR][GNR];
    for (int i = 0; i < GMR; i++)
        for (fg_idx j = 0; j < GNR; j++)
            c[i][j] = 0;
    if (mr == GMR && nr == GNR)
        FG_NAME(ukr_generic_full)(kc, A, rsa, csa, B, rsb, c);
    else
        for (fg_idx k = 0; k < kc; k++)
            for (fg_idx i = 0; i < mr; i++) {
                const T a = A[i * rsa + k * csa];
                for (fg_idx j = 0; j < nr; j++)
                    c[i][j] += a * B[k * rsb + j];
            }
    for (fg_idx i = 0; i < mr; i++) {
        T *cr = C + i * ldc;
        for (fg_idx j = 0; j < nr; j++) {
            T x = ep->alpha * c[i][j];
            if (ep->beta != 0) /* beta == 0 must not read C: it may hold NaN */
                x = x + ep->beta * cr[j];
            if (ep->bias)
                x += ep->bias[j];
            if (ep->relu)
                x = x > 0 || x != x ? x : 0;
            cr[j] = x;
        }
    }
}

#undef GMR
#undef GNR
