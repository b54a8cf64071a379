/* gemm_tiles_impl.h: the GEMM's tile paths (blocking, packing, threads, epilogue), instantiated
 * for float and double by dtype.h (gemm_tiles.c). */


#define FG_L2_BYTES ((size_t)1 << 20)
/* Below this many flops per thread, waking another thread costs more than it saves. */
#define FG_FLOPS_PER_THREAD 4.0e6

typedef struct {
    fg_idx M, N, K;
    T alpha, beta;
    const T *A, *B;
    fg_idx rsa, csa, rsb, csb;
    T *C;
    fg_idx ldc;
    const FG_NAME(fg_epilogue) *ep;
    FG_NAME(fg_ukr) ukr;
    FG_NAME(fg_packt) packt;
    FG_NAME(fg_packt) packa; /* set when A's rows are unit-stride */
    fg_blocking blk;
    int direct;  /* no K slicing, A read in place; B read in place when its columns are unit-stride */
    int split_n; /* threads take column ranges (else row ranges) */
    /* C beyond L2: a tile's rows come from L3 or memory (the packed path's later K slices
     * reload them), so run_tile prefetches them. Within L2 the prefetches only cost time
     * (docs/KERNEL-NOTES.md). */
    int c_cold;
} FG_NAME(gemm_job);

/* One k of a packed panel: n values of a contiguous run, then zeros up to the panel's width
 * (the micro-kernel reads whole panels). */
static inline void FG_NAME(copy_run)(T *dst, const T *src, fg_idx n, fg_idx width)
{
    for (fg_idx j = 0; j < n; j++)
        dst[j] = src[j];
    for (fg_idx j = n; j < width; j++)
        dst[j] = 0;
}

/* The epilogue's activation on an mr x nr block: Y = act(C). When the block's rows are
 * contiguous in both (a layer no wider than one tile), one call covers all of them: tanh and
 * the like are a long chain of dependent operations per vector, and a row of a narrow layer is
 * one vector, so row by row the core would sit waiting on each chain in turn. */
void FG_NAME(fg_epilogue_act)(const FG_NAME(fg_epilogue) *ep, fg_idx mr, fg_idx nr, const T *C,
                              fg_idx ldc, T *Y)
{
    if (ldc == nr && ep->ldy == nr) {
        FG_NAME(fg_act_forward)(mr * nr, ep->act, ep->param, C, Y);
        return;
    }
    for (fg_idx i = 0; i < mr; i++)
        FG_NAME(fg_act_forward)(nr, ep->act, ep->param, C + i * ldc, Y + i * ep->ldy);
}

/* One micro-kernel call plus, on the last K slice, the epilogue: bias and ReLU in registers;
 * any other activation on the stored tile right away, while it is in L1. */
static inline void FG_NAME(run_tile)(const FG_NAME(gemm_job) *g, fg_idx kc, fg_idx mr,
                                     fg_idx nr, const T *A, fg_idx rsa, fg_idx csa, const T *B,
                                     fg_idx rsb, fg_idx i0, fg_idx j0, T beta, int last)
{
    const FG_NAME(fg_epilogue) *ep = last ? g->ep : NULL;
    FG_NAME(fg_tile_ep) te = {g->alpha, beta, NULL, 0, 0};
    T *C = g->C + i0 * g->ldc + j0;
    if (ep) {
        te.bias = ep->bias ? ep->bias + j0 : NULL;
        te.relu = ep->act == FG_ACT_RELU && ep->Y == g->C;
    }
    if (g->c_cold) /* the kernel touches C only after its k loop: fetch it meanwhile */
        for (fg_idx i = 0; i < mr; i++) {
            __builtin_prefetch(C + i * g->ldc, 1, 3);
            __builtin_prefetch(C + i * g->ldc + nr - 1, 1, 3);
        }
    g->ukr(kc, mr, nr, A, rsa, csa, B, rsb, C, g->ldc, &te);
    if (ep && ep->Y && !te.relu && !(ep->act == FG_ACT_NONE && ep->Y == g->C))
        FG_NAME(fg_epilogue_act)(ep, mr, nr, C, g->ldc, ep->Y + i0 * ep->ldy + j0);
}

/* Bp <- B[0:kc, 0:nc] as ceil(nc/NR) micro-panels of kc rows x NR columns, zero-padded on the
 * right. The loop order follows whichever stride of B is shorter, so reads stay sequential. */
static void FG_NAME(pack_b)(fg_idx kc, fg_idx nc, fg_idx NR, const T *B, fg_idx rsb,
                            fg_idx csb, T *Bp)
{
    if (csb == 1) {
        /* Row-major B: each row of the slice in one pass, NR values to each panel in turn.
         * Panel by panel instead, every NR values would come from a new row (a new page
         * once rows pass 4 KB), which the prefetchers follow badly. */
        for (fg_idx k = 0; k < kc; k++)
            for (fg_idx j0 = 0; j0 < nc; j0 += NR)
                FG_NAME(copy_run)(Bp + j0 * kc + k * NR, B + k * rsb + j0,
                                  fg_min_idx(NR, nc - j0), NR);
        return;
    }
    const int by_rows = (csb < 0 ? -csb : csb) <= (rsb < 0 ? -rsb : rsb);
    for (fg_idx j0 = 0; j0 < nc; j0 += NR) {
        const fg_idx nr = fg_min_idx(NR, nc - j0);
        const T *b = B + j0 * csb;
        T *d = Bp + j0 * kc;
        if (by_rows) {
            for (fg_idx k = 0; k < kc; k++) {
                for (fg_idx j = 0; j < nr; j++)
                    d[k * NR + j] = b[k * rsb + j * csb];
                for (fg_idx j = nr; j < NR; j++)
                    d[k * NR + j] = 0;
            }
        } else {
            /* Transposed B (the dense layer's W): read each column's run down K, write
             * strided; blocks of 8 k keep the writes within a few cache lines. */
            for (fg_idx k0 = 0; k0 < kc; k0 += 8) {
                const fg_idx kb = fg_min_idx(8, kc - k0);
                for (fg_idx j = 0; j < nr; j++)
                    for (fg_idx k = k0; k < k0 + kb; k++)
                        d[k * NR + j] = b[k * rsb + j * csb];
                for (fg_idx k = k0; k < k0 + kb; k++)
                    for (fg_idx j = nr; j < NR; j++)
                        d[k * NR + j] = 0;
            }
        }
    }
}

static void FG_NAME(pack_b_any)(const FG_NAME(gemm_job) *g, fg_idx kc, fg_idx nc, const T *B,
                                T *Bp)
{
    if (g->packt)
        g->packt(kc, nc, B, g->csb, Bp);
    else
        FG_NAME(pack_b)(kc, nc, g->blk.nr, B, g->rsb, g->csb, Bp);
}

/* Ap <- A[0:mc, 0:kc] as ceil(mc/MR) slivers of kc columns x MR rows (Ap[k*MR + i]), padded
 * below with zeros (or, from the table's transposing pack, which takes a row-major A when
 * there is one, with copies of the sliver's first row): the micro-kernel reads only mr rows. */
static void FG_NAME(pack_a)(const FG_NAME(gemm_job) *g, fg_idx mc, fg_idx kc, const T *A, T *Ap)
{
    const fg_idx MR = g->blk.mr, rsa = g->rsa, csa = g->csa;
    if (g->packa) {
        g->packa(kc, mc, A, rsa, Ap);
        return;
    }
    if (rsa == 1) {
        /* A transposed (dZ^T for the dense layer's dW): each k holds the block's mc values in
         * one contiguous run, handed out MR to each sliver; reading down a column instead
         * would touch a new cache line per element. The runs are a row of dZ apart (a new
         * page per k in the big layers), which the prefetchers do not follow: ask for the
         * run 8 k ahead. */
        for (fg_idx k = 0; k < kc; k++) {
            if (k + 8 < kc)
                for (fg_idx i = 0; i < mc; i += 64 / (fg_idx)sizeof(T))
                    __builtin_prefetch(A + (k + 8) * csa + i, 0, 3);
            for (fg_idx i0 = 0; i0 < mc; i0 += MR)
                FG_NAME(copy_run)(Ap + i0 * kc + k * MR, A + k * csa + i0,
                                  fg_min_idx(MR, mc - i0), MR);
        }
        return;
    }
    for (fg_idx i0 = 0; i0 < mc; i0 += MR) {
        const fg_idx mr = fg_min_idx(MR, mc - i0);
        T *d = Ap + i0 * kc;
        for (fg_idx i = 0; i < mr; i++) {
            const T *a = A + (i0 + i) * rsa;
            for (fg_idx k = 0; k < kc; k++)
                d[k * MR + i] = a[k * csa];
        }
        for (fg_idx i = mr; i < MR; i++)
            for (fg_idx k = 0; k < kc; k++)
                d[k * MR + i] = 0;
    }
}

/* Element by element, same K slicing as the packed path: only when scratch memory ran out. */
static void FG_NAME(gemm_fallback)(const FG_NAME(gemm_job) *g, fg_idx m0, fg_idx m1, fg_idx n0,
                                   fg_idx n1)
{
    const fg_idx KC = g->direct ? g->K : g->blk.kc;
    for (fg_idx pc = 0; pc < g->K; pc += KC) {
        const fg_idx kc = fg_min_idx(KC, g->K - pc);
        for (fg_idx i = m0; i < m1; i++)
            for (fg_idx j = n0; j < n1; j++)
                FG_NAME(run_tile)(g, kc, 1, 1, g->A + i * g->rsa + pc * g->csa, g->rsa, g->csa,
                                  g->B + pc * g->rsb + j * g->csb, g->rsb, i, j,
                                  pc == 0 ? g->beta : 1, pc + kc == g->K);
    }
}

/* No packing of A, no K slicing: each tile runs over all of K, reading A in place. B is read
 * in place when its rows are unit-stride, else packed (the caller's columns). */
static void FG_NAME(gemm_direct)(const FG_NAME(gemm_job) *g, fg_idx m0, fg_idx m1, fg_idx n0,
                                 fg_idx n1)
{
    const fg_idx MR = g->blk.mr, NR = g->blk.nr, K = g->K;
    const T *B = g->B + n0 * g->csb;
    /* Keep whichever operand fits in L2 there: B's column panel (j outer) when A's rows do. */
    const int a_fits = (size_t)(m1 - m0) * (size_t)K * sizeof(T) <= FG_L2_BYTES / 2;
    if (a_fits) {
        /* A transposed B is packed one column panel at a time, just before its tiles read it:
         * the panel is still in cache then, where a whole packed copy of a W larger than L2
         * would be written out to L3 and read back. Scratch is one panel, not all of B. */
        T *Bp = NULL;
        if (g->csb != 1 && !(Bp = fg_thread_scratch(0, (size_t)K * (size_t)NR * sizeof(T)))) {
            FG_NAME(gemm_fallback)(g, m0, m1, n0, n1);
            return;
        }
        for (fg_idx j0 = n0; j0 < n1; j0 += NR) {
            const fg_idx nr = fg_min_idx(NR, n1 - j0);
            const T *b = B + (j0 - n0) * g->csb;
            fg_idx rsb = g->rsb;
            if (Bp) {
                FG_NAME(pack_b_any)(g, K, nr, b, Bp);
                b = Bp;
                rsb = NR;
            }
            for (fg_idx i0 = m0; i0 < m1; i0 += MR)
                FG_NAME(run_tile)(g, K, fg_min_idx(MR, m1 - i0), nr, g->A + i0 * g->rsa,
                                  g->rsa, g->csa, b, rsb, i0, j0, g->beta, 1);
        }
        return;
    }
    fg_idx rsb = g->rsb, panel = 1; /* panel j0 starts at B + (j0 - n0) * panel */
    if (g->csb != 1) { /* every row of tiles reads all of B: pack it whole, once */
        const fg_idx npad = (n1 - n0 + NR - 1) / NR * NR;
        T *Bp = fg_thread_scratch(0, (size_t)K * (size_t)npad * sizeof(T));
        if (!Bp) {
            FG_NAME(gemm_fallback)(g, m0, m1, n0, n1);
            return;
        }
        FG_NAME(pack_b_any)(g, K, n1 - n0, B, Bp);
        B = Bp;
        rsb = NR;
        panel = K;
    }
    for (fg_idx i0 = m0; i0 < m1; i0 += MR)
        for (fg_idx j0 = n0; j0 < n1; j0 += NR)
            FG_NAME(run_tile)(g, K, fg_min_idx(MR, m1 - i0), fg_min_idx(NR, n1 - j0),
                              g->A + i0 * g->rsa, g->rsa, g->csa, B + (j0 - n0) * panel, rsb, i0,
                              j0, g->beta, 1);
}

/* GotoBLAS/BLIS: NC-wide column panels of B (L3), KC-deep slices packed into NR-wide
 * micro-panels (one sits in L1), MC x KC blocks of A packed into MR-row slivers (L2). */
static void FG_NAME(gemm_packed)(const FG_NAME(gemm_job) *g, fg_idx m0, fg_idx m1, fg_idx n0,
                                 fg_idx n1)
{
    const fg_blocking *b = &g->blk;
    const fg_idx kc_max = fg_min_idx(g->K, b->kc);
    const fg_idx nc_pad = (fg_min_idx(n1 - n0, b->nc) + b->nr - 1) / b->nr * b->nr;
    const fg_idx mc_pad = (fg_min_idx(m1 - m0, b->mc) + b->mr - 1) / b->mr * b->mr;
    T *Bp = fg_thread_scratch(0, (size_t)kc_max * (size_t)nc_pad * sizeof(T));
    T *Ap = Bp ? fg_thread_scratch(1, (size_t)kc_max * (size_t)mc_pad * sizeof(T)) : NULL;
    if (!Ap) {
        FG_NAME(gemm_fallback)(g, m0, m1, n0, n1);
        return;
    }
    for (fg_idx jc = n0; jc < n1; jc += b->nc) {
        const fg_idx nc = fg_min_idx(b->nc, n1 - jc);
        for (fg_idx pc = 0; pc < g->K; pc += b->kc) {
            const fg_idx kc = fg_min_idx(b->kc, g->K - pc);
            const T beta = pc == 0 ? g->beta : 1; /* later K slices accumulate onto C */
            const int last = pc + kc == g->K;
            FG_NAME(pack_b_any)(g, kc, nc, g->B + pc * g->rsb + jc * g->csb, Bp);
            for (fg_idx ic = m0; ic < m1; ic += b->mc) {
                const fg_idx mc = fg_min_idx(b->mc, m1 - ic);
                FG_NAME(pack_a)(g, mc, kc, g->A + ic * g->rsa + pc * g->csa, Ap);
                for (fg_idx jr = 0; jr < nc; jr += b->nr)
                    for (fg_idx ir = 0; ir < mc; ir += b->mr)
                        FG_NAME(run_tile)(g, kc, fg_min_idx(b->mr, mc - ir),
                                          fg_min_idx(b->nr, nc - jr), Ap + ir * kc, 1,
                                          b->mr, Bp + jr * kc, b->nr, ic + ir, jc + jr, beta,
                                          last);
            }
        }
    }
}

/* Thread t of n takes a contiguous run of whole tiles (MR rows or NR columns), so every tile,
 * and so every element's arithmetic, is the same for any n. */
static void FG_NAME(gemm_part)(void *raw, int t, int n)
{
    const FG_NAME(gemm_job) *g = raw;
    const fg_idx extent = g->split_n ? g->N : g->M;
    const fg_idx unit = g->split_n ? g->blk.nr : g->blk.mr;
    const fg_idx units = (extent + unit - 1) / unit;
    const fg_idx lo = fg_min_idx(extent, units * t / n * unit);
    const fg_idx hi = fg_min_idx(extent, units * (t + 1) / n * unit);
    if (lo >= hi)
        return;
    const fg_idx m0 = g->split_n ? 0 : lo, m1 = g->split_n ? g->M : hi;
    const fg_idx n0 = g->split_n ? lo : 0, n1 = g->split_n ? hi : g->N;
    if (g->direct)
        FG_NAME(gemm_direct)(g, m0, m1, n0, n1);
    else
        FG_NAME(gemm_packed)(g, m0, m1, n0, n1);
}

void FG_NAME(fg_gemm_tiles)(const fg_gemm_isa *isa, fg_idx M, fg_idx N, fg_idx K, T alpha,
                            const T *A, fg_idx rsa, fg_idx csa, const T *B, fg_idx rsb,
                            fg_idx csb, T beta, T *C, fg_idx ldc,
                            const FG_NAME(fg_epilogue) *ep)
{
    FG_NAME(gemm_job) g;
    g.M = M;
    g.N = N;
    g.K = K;
    g.alpha = alpha;
    g.beta = beta;
    g.A = A;
    g.B = B;
    g.rsa = rsa;
    g.csa = csa;
    g.rsb = rsb;
    g.csb = csb;
    g.C = C;
    g.ldc = ldc;
    g.ep = ep;
    g.ukr = isa->FG_NAME(ukr);
    g.blk = isa->FG_NAME(blk);
    g.packt = rsb == 1 ? isa->FG_NAME(packt) : NULL;
    g.packa = csa == 1 ? isa->FG_NAME(packa) : NULL;
    if (K <= 0) {
        g.blk.mr = g.blk.mr_direct;
        /* Empty product: C = beta * C (then the epilogue), through the kernel with kc = 0. */
        g.direct = 1;
        g.split_n = 0;
        g.c_cold = 0;
        g.csb = 1; /* B is never read: nothing to pack */
        FG_NAME(gemm_direct)(&g, 0, M, 0, N);
        return;
    }
    const size_t b_bytes = (size_t)K * (size_t)N * sizeof(T);
    /* Direct while what it re-reads stays in L2: all of B, or (B packed a panel at a time)
     * A's rows; otherwise B would stream from memory once per sliver of A (KERNEL-NOTES). */
    g.direct = b_bytes <= FG_L2_BYTES
               || (M <= 256 && csb != 1 && (size_t)M * (size_t)K * sizeof(T) <= FG_L2_BYTES / 2);
    /* Direct tiles run over all of K and read A in place, so they may be taller than the packed
     * path's slivers: on small products (32-row batches) each tile's fixed cost (zeroing,
     * epilogue, call) is then paid less often. An element's sum is the same k-ordered chain of
     * FMAs in any tile, so the height changes no bits. */
    if (g.direct)
        g.blk.mr = g.blk.mr_direct;
    const double flops = 2.0 * (double)M * (double)N * (double)K;
    int n = (int)(flops / FG_FLOPS_PER_THREAD);
    const fg_idx n_tiles = (N + g.blk.nr - 1) / g.blk.nr, m_tiles = (M + g.blk.mr - 1) / g.blk.mr;
    /* Each thread packs or streams all of the operand whose other side is not split: with
     * columns split, all of A (M x K) and its share of B; with rows split, all of B (K x N) and
     * its share of A. So split columns when there are enough of them, rows otherwise, and rows
     * whenever A has more rows than B has columns (tall products, such as a wide batch through
     * a layer: two threads that split columns there both pack the whole batch). Tiles start at
     * the same multiples of MR and NR either way, so the bits do not depend on the split. */
    g.split_n = (n_tiles >= 8 || n_tiles >= m_tiles) && M <= N;
    g.c_cold = (size_t)M * (size_t)N * sizeof(T) > FG_L2_BYTES;
    const fg_idx parts = g.split_n ? n_tiles : m_tiles;
    if ((fg_idx)n > parts)
        n = (int)parts;
    if (n > 1)
        fg_parallel_run(n, FG_NAME(gemm_part), &g);
    else
        FG_NAME(gemm_part)(&g, 0, 1);
}
