/* gemm_avx2.c: AVX2 + FMA micro-kernels, 6 x 16 floats and 6 x 8 doubles (12 ymm accumulators,
 * 2 for B, 1 broadcast: 15 of the 16 registers). Compiled with -mavx2 -mfma by setup.py and
 * only ever called after gemm_dispatch.c has seen the CPU support it. */
#include <immintrin.h>
#include "internal.h"
#include "gemm_transpose_avx.h"

#define MR 6

/* ---- float ---- */
#define T float
#define EP fg_tile_ep_f32
#define V __m256
#define VL 8
#define UKR fg_ukr_avx2_f32
#define TILE_FN tile_avx2_f32
#define PACKT fg_packt_avx2_f32
#define TB FG_TR_F32
#define TR_BLOCK fg_tr_block_f32
#define ROW_FN row_avx2_f32
#define V_ZERO() _mm256_setzero_ps()
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_BCAST(x) _mm256_set1_ps(x)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_MAX(a, b) _mm256_max_ps(a, b)
#define MASK __m256i
#define MASK_FOR(n) _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n)), \
                                       _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define V_LOADM(p, m) _mm256_maskload_ps(p, m)
#define V_STOREM(p, m, v) _mm256_maskstore_ps(p, m, v)
#include "gemm_ukr_impl.h"

/* ---- double ---- */
#define T double
#define EP fg_tile_ep_f64
#define V __m256d
#define VL 4
#define UKR fg_ukr_avx2_f64
#define TILE_FN tile_avx2_f64
#define PACKT fg_packt_avx2_f64
#define TB FG_TR_F64
#define TR_BLOCK fg_tr_block_f64
#define ROW_FN row_avx2_f64
#define V_ZERO() _mm256_setzero_pd()
#define V_LOAD(p) _mm256_loadu_pd(p)
#define V_STORE(p, v) _mm256_storeu_pd(p, v)
#define V_BCAST(x) _mm256_set1_pd(x)
#define V_FMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define V_MUL(a, b) _mm256_mul_pd(a, b)
#define V_ADD(a, b) _mm256_add_pd(a, b)
#define V_MAX(a, b) _mm256_max_pd(a, b)
#define MASK __m256i
#define MASK_FOR(n) _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)(n)), \
                                       _mm256_setr_epi64x(0, 1, 2, 3))
#define V_LOADM(p, m) _mm256_maskload_pd(p, m)
#define V_STOREM(p, m, v) _mm256_maskstore_pd(p, m, v)
#include "gemm_ukr_impl.h"
