/* gemm_impl.h: the GEMM's entry point, instantiated for float and double by dtype.h (gemm.c). */

void FG_NAME(fg_gemm_ex)(fg_idx M, fg_idx N, fg_idx K, T alpha, const T *A, fg_idx rsa,
                         fg_idx csa, const T *B, fg_idx rsb, fg_idx csb, T beta, T *C,
                         fg_idx ldc, const FG_NAME(fg_epilogue) *ep)
{
    if (M <= 0 || N <= 0)
        return;
    const fg_gemm_isa *isa = fg_gemm_active(); /* read once: fg_set_isa may run meanwhile */
    /* The path depends on the shape only, never on the thread count. */
    if (K > 0 && M <= FG_DOT_MAX_M && rsb == 1 && csa == 1)
        FG_NAME(fg_gemm_dot)(isa, M, N, K, alpha, A, rsa, B, csb, beta, C, ldc, ep);
    else
        FG_NAME(fg_gemm_tiles)(isa, M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, ldc, ep);
}

void FG_NAME(fg_gemm)(fg_idx M, fg_idx N, fg_idx K, T alpha, const T *A, fg_idx rsa, fg_idx csa,
                      const T *B, fg_idx rsb, fg_idx csb, T beta, T *C, fg_idx ldc)
{
    FG_NAME(fg_gemm_ex)(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, ldc, NULL);
}
