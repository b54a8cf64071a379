/* gemm_avx512.c: AVX-512 micro-kernels, 8 x 32 floats and 8 x 16 doubles (16 zmm accumulators,
 * 2 for B, 1 broadcast: room to spare in 32 registers). Compiled with -mavx512f... by setup.py
 * and only ever called after gemm_dispatch.c has seen the CPU support it. */
#include <immintrin.h>
#include "internal.h"
#include "gemm_transpose_avx.h"

#define MR 8

/* ---- float ---- */
#define T float
#define EP fg_tile_ep_f32
#define V __m512
#define VL 16
#define UKR fg_ukr_avx512_f32
#define TILE_FN tile_avx512_f32
#define PACKT fg_packt_avx512_f32
#define TB FG_TR_F32
#define TR_BLOCK fg_tr_block_f32
#define ROW_FN row_avx512_f32
#define V_ZERO() _mm512_setzero_ps()
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_BCAST(x) _mm512_set1_ps(x)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_MAX(a, b) _mm512_max_ps(a, b)
#define MASK __mmask16
#define MASK_FOR(n) ((__mmask16)((1u << (n)) - 1u))
#define V_LOADM(p, m) _mm512_maskz_loadu_ps(m, p)
#define V_STOREM(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#include "gemm_ukr_impl.h"

/* ---- double ---- */
#define T double
#define EP fg_tile_ep_f64
#define V __m512d
#define VL 8
#define UKR fg_ukr_avx512_f64
#define TILE_FN tile_avx512_f64
#define PACKT fg_packt_avx512_f64
#define TB FG_TR_F64
#define TR_BLOCK fg_tr_block_f64
#define ROW_FN row_avx512_f64
#define V_ZERO() _mm512_setzero_pd()
#define V_LOAD(p) _mm512_loadu_pd(p)
#define V_STORE(p, v) _mm512_storeu_pd(p, v)
#define V_BCAST(x) _mm512_set1_pd(x)
#define V_FMA(a, b, c) _mm512_fmadd_pd(a, b, c)
#define V_MUL(a, b) _mm512_mul_pd(a, b)
#define V_ADD(a, b) _mm512_add_pd(a, b)
#define V_MAX(a, b) _mm512_max_pd(a, b)
#define MASK __mmask8
#define MASK_FOR(n) ((__mmask8)((1u << (n)) - 1u))
#define V_LOADM(p, m) _mm512_maskz_loadu_pd(m, p)
#define V_STOREM(p, m, v) _mm512_mask_storeu_pd(p, m, v)
#include "gemm_ukr_impl.h"
