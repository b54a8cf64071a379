/* gemm_avx2.c: AVX2 + FMA micro-kernels, 6 x 16 floats and 6 x 8 doubles (12 ymm accumulators,
 * 2 for B, 1 broadcast: 15 of the 16 registers), and dot-product kernels (two ymm of partial
 * sums per output, 1 row of A x 4 rows of W a pass: 8 accumulators; a second row of A would
 * need all 16 registers for accumulators alone). Compiled with -mavx2 -mfma by setup.py and
 * only ever called after gemm_dispatch.c has seen the CPU support it. */
#include <immintrin.h>
#include "fastgrad.h"
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
#define PACKA fg_packa_avx2_f32
#define PACK_TR pack_tr_avx2_f32
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
#define DOT fg_dot_avx2_f32
#define DOT_ROWS dot_rows_avx2_f32
#define DOT_GROUPS dot_groups_avx2_f32
#define DOT_NV 2
#define DOT_MB 1
#define REDUCE4 reduce4_avx2_f32
#define MASK_ANDNOT(a, b) _mm256_andnot_si256(a, b)
/* The tree of gemm_dot_simd.h for 4 rows at once (the same tree as the AVX-512 kernel's, so
 * the two give the same bits): each step adds two halves of what is left of every row, the
 * rows packed side by side so that one add serves several. */
static inline void reduce4_avx2_f32(__m256 acc[4][2], float s[4])
{
    /* lanes l + l+8 */
    const __m256 a = _mm256_add_ps(acc[0][0], acc[0][1]), b = _mm256_add_ps(acc[1][0], acc[1][1]),
                 c = _mm256_add_ps(acc[2][0], acc[2][1]), d = _mm256_add_ps(acc[3][0], acc[3][1]);
    /* l + l+4: a's 4 sums in the low 128 bits of ab, b's in the high */
    const __m256 ab = _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20),
                                    _mm256_permute2f128_ps(a, b, 0x31));
    const __m256 cd = _mm256_add_ps(_mm256_permute2f128_ps(c, d, 0x20),
                                    _mm256_permute2f128_ps(c, d, 0x31));
    /* l + l+2: (a a c c | b b d d) */
    const __m256 u = _mm256_add_ps(_mm256_shuffle_ps(ab, cd, _MM_SHUFFLE(1, 0, 1, 0)),
                                   _mm256_shuffle_ps(ab, cd, _MM_SHUFFLE(3, 2, 3, 2)));
    const __m256 v = _mm256_hadd_ps(u, u); /* l + l+1: (a c a c | b d b d) */
    _mm_storeu_ps(s, _mm_unpacklo_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
}
#include "gemm_dot_simd.h"
#include "gemm_ukr_simd.h"

/* ---- double ---- */
#define T double
#define EP fg_tile_ep_f64
#define V __m256d
#define VL 4
#define UKR fg_ukr_avx2_f64
#define TILE_FN tile_avx2_f64
#define PACKT fg_packt_avx2_f64
#define PACKA fg_packa_avx2_f64
#define PACK_TR pack_tr_avx2_f64
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
#define DOT fg_dot_avx2_f64
#define DOT_ROWS dot_rows_avx2_f64
#define DOT_GROUPS dot_groups_avx2_f64
#define DOT_NV 2
#define DOT_MB 1
#define REDUCE4 reduce4_avx2_f64
#define MASK_ANDNOT(a, b) _mm256_andnot_si256(a, b)
static inline void reduce4_avx2_f64(__m256d acc[4][2], double s[4])
{
    /* lanes l + l+4 */
    const __m256d a = _mm256_add_pd(acc[0][0], acc[0][1]),
                  b = _mm256_add_pd(acc[1][0], acc[1][1]),
                  c = _mm256_add_pd(acc[2][0], acc[2][1]),
                  d = _mm256_add_pd(acc[3][0], acc[3][1]);
    /* l + l+2: a's 2 sums in the low 128 bits of ab, b's in the high */
    const __m256d ab = _mm256_add_pd(_mm256_permute2f128_pd(a, b, 0x20),
                                     _mm256_permute2f128_pd(a, b, 0x31));
    const __m256d cd = _mm256_add_pd(_mm256_permute2f128_pd(c, d, 0x20),
                                     _mm256_permute2f128_pd(c, d, 0x31));
    const __m256d v = _mm256_hadd_pd(ab, cd); /* l + l+1: (a c b d) */
    _mm256_storeu_pd(s, _mm256_permute4x64_pd(v, _MM_SHUFFLE(3, 1, 2, 0)));
}
#include "gemm_dot_simd.h"
#include "gemm_ukr_simd.h"
