/* gemm_ukr_simd.h: the SIMD register-tile micro-kernel, written once over a few vector macros
 * and instantiated by each ISA file (gemm_avx512.c, gemm_avx2.c) for float and double.
 *
 * The including file defines (this header undefines all but MR and TALL_MR at its end):
 *   T, EP            element type and its tile-epilogue struct (fastgrad.h)
 *   V, VL, MR        vector type, lanes per vector, rows of the tile; NR = 2 * VL columns
 *   UKR              the exported function name
 *   V_ZERO() V_LOAD(p) V_STORE(p, v) V_BCAST(x) V_FMA(a, b, c) = a*b + c, V_MUL, V_ADD,
 *   V_MAX(a, b)      (b when either is NaN, so V_MAX(0, x) propagates NaN)
 *   MASK, MASK_FOR(n) (first n lanes), V_LOADM(p, m), V_STOREM(p, m, v): masked, non-faulting
 *
 * MR rows (MR <= 8) is the tile of the packed path; TALL_MR (at most 12, default MR) is the
 * tallest tile the kernel takes, used by the direct path (gemm_tiles_impl.h: small products,
 * where fewer, taller tiles pay each tile's fixed cost less often). Each of the mr x 2
 * accumulators stays in a register for the whole k loop: per k step, two
 * loads of B, mr broadcasts of A, 2*mr FMAs. The row count is a compile-time constant in each
 * case of the switch below, so the tile loops unroll completely and short edge tiles (mr < MR)
 * do only their own work. Elements are accumulated one k at a time in order, whatever the
 * tile's position, so a result never depends on how C was cut into tiles (or threads).
 */

#define NV 2
#define NR (NV * VL)
#ifndef TALL_MR
#define TALL_MR MR
#endif

/* Epilogue of one row of the tile, on the registers: scale, merge with C, bias, ReLU, store. */
static inline __attribute__((always_inline)) void
ROW_FN(V x0, V x1, T *cr, int full, const MASK *m, const V *bias, const EP *ep)
{
    V x[NV] = {x0, x1};
    for (int v = 0; v < NV; v++) {
        if (ep->alpha != 1)
            x[v] = V_MUL(V_BCAST(ep->alpha), x[v]);
        if (ep->beta != 0) /* beta == 0 must not read C: it may hold NaN */
            x[v] = V_FMA(V_BCAST(ep->beta),
                         full ? V_LOAD(cr + v * VL) : V_LOADM(cr + v * VL, m[v]), x[v]);
        if (ep->bias)
            x[v] = V_ADD(x[v], bias[v]);
        if (ep->relu)
            x[v] = V_MAX(V_ZERO(), x[v]);
        if (full)
            V_STORE(cr + v * VL, x[v]);
        else
            V_STOREM(cr + v * VL, m[v], x[v]);
    }
}

/* Row i of A at step k. Rows 8..11 of a tall tile come from a second moving pointer with the
 * same offsets as rows 0..3: a register per row's offset would not leave enough for a 12-row
 * tile, and GCC would spill them inside the k loop. Rows 0..7 are addressed as they always
 * were, so the packed path's 8-row tiles compile to the same loop. */
#define FG_A(i) ((i) < 8 ? A[(i) * rsa] : a8[((i) - 8) * rsa])
#define FG_NEXT_K \
    A += csa; \
    a8 += csa; \
    B += rsb;

/* The accumulators are named variables, not an array: GCC otherwise keeps a memory copy of
 * the array and stores every accumulator on every k step. */
#define FG_ROW_FMA(i, LOADB) \
    if (i < mr) { \
        const V a = V_BCAST(FG_A(i)); \
        c##i##0 = V_FMA(a, b0, c##i##0); \
        c##i##1 = V_FMA(a, b1, c##i##1); \
    }
#define FG_ALL_ROWS \
    FG_ROW_FMA(0, ) FG_ROW_FMA(1, ) FG_ROW_FMA(2, ) FG_ROW_FMA(3, ) FG_ROW_FMA(4, ) \
    FG_ROW_FMA(5, ) FG_ROW_FMA(6, ) FG_ROW_FMA(7, ) FG_ROW_FMA(8, ) FG_ROW_FMA(9, ) \
    FG_ROW_FMA(10, ) FG_ROW_FMA(11, )
/* The same for a tile at most one vector wide: only the first accumulator of each row. */
#define FG_ROW_FMA1(i) \
    if (i < mr) \
        c##i##0 = V_FMA(V_BCAST(FG_A(i)), b0, c##i##0);
#define FG_ALL_ROWS1 \
    FG_ROW_FMA1(0) FG_ROW_FMA1(1) FG_ROW_FMA1(2) FG_ROW_FMA1(3) FG_ROW_FMA1(4) \
    FG_ROW_FMA1(5) FG_ROW_FMA1(6) FG_ROW_FMA1(7) FG_ROW_FMA1(8) FG_ROW_FMA1(9) \
    FG_ROW_FMA1(10) FG_ROW_FMA1(11)

static inline __attribute__((always_inline)) void
TILE_FN(const int mr, fg_idx kc, fg_idx nr, const T *A, fg_idx rsa, fg_idx csa, const T *B,
        fg_idx rsb, T *C, fg_idx ldc, const EP *ep)
{
    V c00 = V_ZERO(), c01 = V_ZERO(), c10 = V_ZERO(), c11 = V_ZERO(), c20 = V_ZERO(),
      c21 = V_ZERO(), c30 = V_ZERO(), c31 = V_ZERO(), c40 = V_ZERO(), c41 = V_ZERO(),
      c50 = V_ZERO(), c51 = V_ZERO(), c60 = V_ZERO(), c61 = V_ZERO(), c70 = V_ZERO(),
      c71 = V_ZERO(), c80 = V_ZERO(), c81 = V_ZERO(), c90 = V_ZERO(), c91 = V_ZERO(),
      c100 = V_ZERO(), c101 = V_ZERO(), c110 = V_ZERO(), c111 = V_ZERO(); /* rows 10, 11 */
    const T *a8 = A + (mr > 8 ? 8 * rsa : 0); /* not past A's rows when there are none */
    MASK m[NV];
    const int full = nr == NR;
    for (int v = 0; v < NV; v++) {
        fg_idx left = nr - v * VL;
        m[v] = MASK_FOR(left < 0 ? 0 : left > VL ? VL : left);
    }
    if (full) {
        for (fg_idx k = 0; k < kc; k++) {
            const V b0 = V_LOAD(B), b1 = V_LOAD(B + VL);
            FG_ALL_ROWS
            FG_NEXT_K
        }
    } else if (nr <= VL) {
        /* Narrow C (a layer of 10 outputs, a single column): the second vector would be all
         * masked lanes, so skip its FMAs. The first vector's arithmetic is unchanged. */
        for (fg_idx k = 0; k < kc; k++) {
            const V b0 = V_LOADM(B, m[0]);
            FG_ALL_ROWS1
            FG_NEXT_K
        }
    } else {
        for (fg_idx k = 0; k < kc; k++) {
            const V b0 = V_LOADM(B, m[0]), b1 = V_LOADM(B + VL, m[1]);
            FG_ALL_ROWS
            FG_NEXT_K
        }
    }
    /* A local copy: C's stores could alias *ep, so its fields would be reloaded every row. */
    const EP e = *ep;
    V bias[NV];
    for (int v = 0; v < NV; v++)
        bias[v] = !e.bias ? V_ZERO() : full ? V_LOAD(e.bias + v * VL)
                                            : V_LOADM(e.bias + v * VL, m[v]);
#define FG_ROW_STORE(i) \
    if (i < mr) \
        ROW_FN(c##i##0, c##i##1, C + i * ldc, full, m, bias, &e);
    FG_ROW_STORE(0) FG_ROW_STORE(1) FG_ROW_STORE(2) FG_ROW_STORE(3)
    FG_ROW_STORE(4) FG_ROW_STORE(5) FG_ROW_STORE(6) FG_ROW_STORE(7)
    FG_ROW_STORE(8) FG_ROW_STORE(9) FG_ROW_STORE(10) FG_ROW_STORE(11)
#undef FG_ROW_STORE
}
#undef FG_ROW_FMA
#undef FG_ALL_ROWS
#undef FG_A
#undef FG_NEXT_K
#undef FG_ROW_FMA1
#undef FG_ALL_ROWS1

void UKR(fg_idx kc, fg_idx mr, fg_idx nr, const T *A, fg_idx rsa, fg_idx csa, const T *B,
         fg_idx rsb, T *C, fg_idx ldc, const EP *ep)
{
    switch (mr) {
#define FG_CASE(r) case r: TILE_FN(r, kc, nr, A, rsa, csa, B, rsb, C, ldc, ep); break;
#if TALL_MR >= 12
    FG_CASE(12) FG_CASE(11) FG_CASE(10) FG_CASE(9)
#endif
#if TALL_MR >= 8
    FG_CASE(8)
#endif
#if TALL_MR >= 7
    FG_CASE(7)
#endif
    FG_CASE(6) FG_CASE(5) FG_CASE(4) FG_CASE(3) FG_CASE(2) FG_CASE(1)
#undef FG_CASE
    default: break;
    }
}

/* Packs nc runs that are contiguous down k (run j at B + j*csb) into W-wide panels of kc rows,
 * panel[k*W + j], by in-register transposes of TB x TB blocks (several times faster than
 * strided scalar copies). A panel's runs past nc repeat its run 0: the micro-kernel masks
 * those columns of B and never reads those rows of A. With skip_empty, blocks wholly past nc
 * are left unwritten (a 10-wide layer's W packs 16 columns, not 32); without it, the block
 * loop keeps a constant bound (A's slivers are one block wide). */
static inline __attribute__((always_inline)) void
PACK_TR(fg_idx kc, fg_idx nc, const T *B, fg_idx csb, T *Bp, const fg_idx W,
        const int skip_empty)
{
    for (fg_idx j0 = 0; j0 < nc; j0 += W) {
        const fg_idx nr = nc - j0 < W ? nc - j0 : W;
        T *d = Bp + j0 * kc;
        for (fg_idx jb = 0; jb < (skip_empty ? nr : W); jb += TB) {
            const T *rows[TB];
            for (int j = 0; j < TB; j++)
                rows[j] = B + (j0 + (jb + j < nr ? jb + j : 0)) * csb;
            fg_idx k = 0;
            for (; k + TB <= kc; k += TB)
                TR_BLOCK(rows, k, d + k * W + jb, W);
            for (; k < kc; k++)
                for (int j = 0; j < TB; j++)
                    d[k * W + jb + j] = rows[j][k];
        }
    }
}

/* A transposed B (B(k, j) = B[k + j*csb], the dense layer's W) into NR-wide panels. */
void PACKT(fg_idx kc, fg_idx nc, const T *B, fg_idx csb, T *Bp)
{
    PACK_TR(kc, nc, B, csb, Bp, NR, 1);
}

#if MR % TB == 0
/* A row-major A (A(i, k) = A[i*rsa + k]: x, and dZ for dX) into MR-row slivers, Ap[k*MR + i]:
 * the same transpose, with slivers MR wide. */
void PACKA(fg_idx kc, fg_idx mc, const T *A, fg_idx rsa, T *Ap)
{
    PACK_TR(kc, mc, A, rsa, Ap, MR, 0);
}
#endif

#undef NV
#undef NR

/* The instantiation's parameters end here, so the next one can define its own (MR and
 * TALL_MR stay: they are the including file's, for the whole file). */
#undef T
#undef EP
#undef V
#undef VL
#undef UKR
#undef TILE_FN
#undef PACKT
#undef PACKA
#undef PACK_TR
#undef TB
#undef TR_BLOCK
#undef ROW_FN
#undef V_ZERO
#undef V_LOAD
#undef V_STORE
#undef V_BCAST
#undef V_FMA
#undef V_MUL
#undef V_ADD
#undef V_MAX
#undef MASK
#undef MASK_FOR
#undef V_LOADM
#undef V_STOREM
