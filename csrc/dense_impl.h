/* dense_impl.h: dense layer bodies, instantiated for float and double by dtype.h. */

void FG_NAME(fg_dense_forward)(fg_idx M, fg_idx N, fg_idx K, const T *X, const T *W,
                               const T *b, int act, double param, T *Z, T *Y)
{
    /* The GEMM writes x W^T into Z when Z is wanted, else straight into Y; the epilogue adds
     * b and applies act to each block of rows as soon as it is final. */
    T *C = Z ? Z : Y;
    FG_NAME(fg_epilogue) ep;
    ep.bias = b;
    ep.act = act;
    ep.param = param;
    ep.Y = Y;
    ep.ldy = N;
    /* B(k, n) = W[n, k]: row stride 1, column stride K. */
    FG_NAME(fg_gemm_ex)(M, N, K, 1, X, K, 1, W, 1, K, 0, C, N, &ep);
}

/* A layer of at most FG_COLSUM_NARROW outputs: one case per width, so that the compiler sees a
 * constant width and keeps the sums in registers. Through memory (the wide case below), each
 * row would wait on the previous row's store of the same sums (in a batch of 4096 rows of 16
 * columns, 2.7x the time). The same order of additions, so the same bits. */
FG_VECTOR_CLONES static void FG_NAME(column_sums_narrow)(fg_idx M, fg_idx N, const T *D, T *db,
                                                         int accumulate)
{
    double acc[FG_COLSUM_NARROW] = {0};
    switch (N) {
#define FG_COLSUM_CASE(n)                                   \
    case n:                                                 \
        for (fg_idx i = 0; i < M; i++)                      \
            for (fg_idx j = 0; j < n; j++)                  \
                acc[j] += D[i * n + j];                     \
        break;
    FG_COLSUM_CASE(1) FG_COLSUM_CASE(2) FG_COLSUM_CASE(3) FG_COLSUM_CASE(4)
    FG_COLSUM_CASE(5) FG_COLSUM_CASE(6) FG_COLSUM_CASE(7) FG_COLSUM_CASE(8)
    FG_COLSUM_CASE(9) FG_COLSUM_CASE(10) FG_COLSUM_CASE(11) FG_COLSUM_CASE(12)
    FG_COLSUM_CASE(13) FG_COLSUM_CASE(14) FG_COLSUM_CASE(15) FG_COLSUM_CASE(16)
#undef FG_COLSUM_CASE
    }
    for (fg_idx j = 0; j < N; j++)
        db[j] = accumulate ? (T)(db[j] + acc[j]) : (T)acc[j];
}

FG_VECTOR_CLONES static void FG_NAME(column_sums)(fg_idx M, fg_idx N, const T *D, T *db,
                                                  int accumulate)
{
    if (N <= FG_COLSUM_NARROW) {
        FG_NAME(column_sums_narrow)(M, N, D, db, accumulate);
        return;
    }
    double acc[FG_COLSUM_CHUNK];
    for (fg_idx j0 = 0; j0 < N; j0 += FG_COLSUM_CHUNK) {
        const fg_idx w = N - j0 < FG_COLSUM_CHUNK ? N - j0 : FG_COLSUM_CHUNK;
        for (fg_idx j = 0; j < w; j++)
            acc[j] = 0;
        for (fg_idx i = 0; i < M; i++) {
            const T *d = D + i * N + j0;
            for (fg_idx j = 0; j < w; j++)
                acc[j] += d[j];
        }
        for (fg_idx j = 0; j < w; j++)
            db[j0 + j] = accumulate ? (T)(db[j0 + j] + acc[j]) : (T)acc[j];
    }
}

void FG_NAME(fg_dense_backward)(fg_idx M, fg_idx N, fg_idx K, const T *X, const T *W,
                                const T *Z, const T *Y, int act, double param, T *dY, T *dX,
                                T *dW, T *db, int accumulate)
{
    if (act != FG_ACT_NONE) /* dZ = dY * act'(Z), in place */
        FG_NAME(fg_act_backward)(M * N, act, param, Z, Y, dY, dY);
    if (dX) /* dX[M,K] = dZ[M,N] @ W[N,K] */
        FG_NAME(fg_gemm)(M, K, N, 1, dY, N, 1, W, K, 1, 0, dX, K);
    if (dW) /* dW[N,K] (+)= dZ^T @ X: A(n, m) = dZ[m, n], row stride 1, column stride N */
        FG_NAME(fg_gemm)(N, K, M, 1, dY, 1, N, X, K, 1, accumulate ? 1 : 0, dW, K);
    if (db)
        FG_NAME(column_sums)(M, N, dY, db, accumulate);
}
