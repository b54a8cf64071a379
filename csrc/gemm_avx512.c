/* gemm_avx512.c: AVX-512 micro-kernels, 8 x 32 floats and 8 x 16 doubles (16 zmm accumulators,
 * 2 for B, 1 broadcast) and, for the direct path's small products, up to 12 rows (24
 * accumulators: 27 of the 32 registers), and dot-product kernels (one zmm of
 * partial sums per output, up to 4 rows of A x 4 rows of W a pass: 16 accumulators), and
 * the transposing packs (a transposed B into panels, a row-major A into slivers).
 * Compiled with -mavx512f... by setup.py and only ever called after gemm_dispatch.c has seen
 * the CPU support it. */
#include <immintrin.h>
#include "fastgrad.h"
#include "gemm_transpose_avx.h"

#define MR 8
#define TALL_MR 12

/* ---- float ---- */
#define T float
#define EP fg_tile_ep_f32
#define V __m512
#define VL 16
#define UKR fg_ukr_avx512_f32
#define TILE_FN tile_avx512_f32
#define PACKT fg_packt_avx512_f32
#define PACKA fg_packa_avx512_f32
#define PACK_TR pack_tr_avx512_f32
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
#define DOT fg_dot_avx512_f32
#define DOT_ROWS dot_rows_avx512_f32
#define DOT_GROUPS dot_groups_avx512_f32
#define DOT_NV 1
#define DOT_MB 4
#define REDUCE4 reduce4_avx512_f32
#define MASK_ANDNOT(a, b) ((MASK)(~(a) & (b)))
/* The tree of gemm_dot_simd.h for 4 rows at once: each step adds two halves of what is left of
 * every row, the rows packed side by side so that one add serves all four. */
static inline void reduce4_avx512_f32(__m512 acc[4][1], float s[4])
{
    const __m512 a = acc[0][0], b = acc[1][0], c = acc[2][0], d = acc[3][0];
    /* lanes l + l+8: a's 8 sums in the low half of ab, b's in the high half */
    const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                                    _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
    const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(1, 0, 1, 0)),
                                    _mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(3, 2, 3, 2)));
    /* l + l+4: 128-bit lane r holds row r's 4 sums */
    __m512 u = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(3, 1, 3, 1)));
    u = _mm512_add_ps(u, _mm512_permute_ps(u, _MM_SHUFFLE(1, 0, 3, 2))); /* l + l+2 */
    u = _mm512_add_ps(u, _mm512_permute_ps(u, _MM_SHUFFLE(2, 3, 0, 1))); /* l + l+1 */
    const __m512i first = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    _mm_storeu_ps(s, _mm512_castps512_ps128(_mm512_permutexvar_ps(first, u)));
}
#include "gemm_dot_simd.h"
#include "gemm_ukr_simd.h"

/* ---- double ---- */
#define T double
#define EP fg_tile_ep_f64
#define V __m512d
#define VL 8
#define UKR fg_ukr_avx512_f64
#define TILE_FN tile_avx512_f64
#define PACKT fg_packt_avx512_f64
#define PACKA fg_packa_avx512_f64
#define PACK_TR pack_tr_avx512_f64
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
#define DOT fg_dot_avx512_f64
#define DOT_ROWS dot_rows_avx512_f64
#define DOT_GROUPS dot_groups_avx512_f64
#define DOT_NV 1
#define DOT_MB 4
#define REDUCE4 reduce4_avx512_f64
#define MASK_ANDNOT(a, b) ((MASK)(~(a) & (b)))
static inline void reduce4_avx512_f64(__m512d acc[4][1], double s[4])
{
    const __m512d a = acc[0][0], b = acc[1][0], c = acc[2][0], d = acc[3][0];
    /* lanes l + l+4: a's 4 sums in the low half of ab, b's in the high half */
    const __m512d ab = _mm512_add_pd(_mm512_shuffle_f64x2(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                                     _mm512_shuffle_f64x2(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
    const __m512d cd = _mm512_add_pd(_mm512_shuffle_f64x2(c, d, _MM_SHUFFLE(1, 0, 1, 0)),
                                     _mm512_shuffle_f64x2(c, d, _MM_SHUFFLE(3, 2, 3, 2)));
    /* l + l+2: 128-bit lane r holds row r's 2 sums */
    __m512d u = _mm512_add_pd(_mm512_shuffle_f64x2(ab, cd, _MM_SHUFFLE(2, 0, 2, 0)),
                              _mm512_shuffle_f64x2(ab, cd, _MM_SHUFFLE(3, 1, 3, 1)));
    u = _mm512_add_pd(u, _mm512_permute_pd(u, 0x55)); /* l + l+1 */
    const __m512i first = _mm512_setr_epi64(0, 2, 4, 6, 0, 0, 0, 0);
    _mm256_storeu_pd(s, _mm512_castpd512_pd256(_mm512_permutexvar_pd(first, u)));
}
#include "gemm_dot_simd.h"
#include "gemm_ukr_simd.h"
