/* internal.h: declarations shared between the kernel files, not part of the binding contract. */
#ifndef FASTGRAD_INTERNAL_H
#define FASTGRAD_INTERNAL_H

#include "fastgrad.h"

/* GEMM block sizes. KC*NC elements of B are packed per (jc, pc) step; 2048 bytes of columns
 * keeps that panel at 512 KiB for both types, half of a 1 MiB L2. tests/test_kernels.py
 * probes sizes around these, so keep the two in sync. */
#define FG_GEMM_KC 256
#define FG_GEMM_NC_BYTES 2048

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

/* 64-byte aligned scratch memory; NULL on failure. Release with fg_aligned_free. */
void *fg_aligned_malloc(size_t bytes);
void fg_aligned_free(void *p);

#endif
