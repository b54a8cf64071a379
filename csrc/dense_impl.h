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

FG_VECTOR_CLONES static void FG_NAME(column_sums)(fg_idx M, fg_idx N, const T *D, T *db,
                                                  int accumulate)
{
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
