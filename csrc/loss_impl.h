/* loss_impl.h: loss and reduction bodies, instantiated for float and double by dtype.h. */

/* Sum of one block, in double. FG_SUM_LANES independent partial sums let the compiler
 * vectorise without reassociating anything: the order is fixed by the code. */
static double FG_NAME(sum_block)(fg_idx n, const T *x)
{
    double lane[FG_SUM_LANES] = {0};
    fg_idx i = 0;
    for (; i + FG_SUM_LANES <= n; i += FG_SUM_LANES)
        for (int l = 0; l < FG_SUM_LANES; l++)
            lane[l] += x[i + l];
    for (int l = 0; i < n; i++, l++)
        lane[l] += x[i];
    double s = 0;
    for (int l = 0; l < FG_SUM_LANES; l++)
        s += lane[l];
    return s;
}

/* Pairwise over blocks: the split points depend only on n. */
static double FG_NAME(sum_pairwise)(fg_idx n, const T *x)
{
    if (n <= FG_SUM_BLOCK)
        return FG_NAME(sum_block)(n, x);
    const fg_idx half = (n / 2 + FG_SUM_BLOCK - 1) / FG_SUM_BLOCK * FG_SUM_BLOCK;
    return FG_NAME(sum_pairwise)(half, x) + FG_NAME(sum_pairwise)(n - half, x + half);
}

double FG_NAME(fg_sum)(fg_idx n, const T *x)
{
    return n > 0 ? FG_NAME(sum_pairwise)(n, x) : 0.0;
}

/* Squared error of one block: writes sq and dX where wanted, returns the sum of sq. Each square
 * is rounded to T before it is summed, so the sum equals fg_sum of the squares written. */
static double FG_NAME(sq_block)(fg_idx n, const T *p, const T *t, T *sq, T *dX)
{
    double lane[FG_SUM_LANES] = {0};
    for (fg_idx i = 0; i < n; i++) {
        const T d = p[i] - t[i], s = d * d;
        if (sq)
            sq[i] = s;
        if (dX)
            dX[i] = 2 * d;
        lane[i % FG_SUM_LANES] += s;
    }
    double total = 0;
    for (int l = 0; l < FG_SUM_LANES; l++)
        total += lane[l];
    return total;
}

/* Pairwise over blocks exactly as sum_pairwise, so the order of the additions is the same. */
static double FG_NAME(sq_pairwise)(fg_idx n, const T *p, const T *t, T *sq, T *dX)
{
    if (n <= FG_SUM_BLOCK)
        return FG_NAME(sq_block)(n, p, t, sq, dX);
    const fg_idx half = (n / 2 + FG_SUM_BLOCK - 1) / FG_SUM_BLOCK * FG_SUM_BLOCK;
    return FG_NAME(sq_pairwise)(half, p, t, sq, dX)
           + FG_NAME(sq_pairwise)(n - half, p + half, t + half, sq ? sq + half : NULL,
                                  dX ? dX + half : NULL);
}

double FG_NAME(fg_mse)(fg_idx n, const T *pred, const T *target, T *sq, T *dX)
{
    return n > 0 ? FG_NAME(sq_pairwise)(n, pred, target, sq, dX) : 0.0;
}

/* The backward of a 'sum' or 'mean' reduction over a loss whose local derivative dX was saved
 * at forward: y = dX s, s the upstream gradient (divided by the count for 'mean') already
 * rounded to T, one multiply per element as NumPy's dX * s. */
void FG_NAME(fg_scale)(fg_idx n, const T *dX, T s, T *y)
{
    for (fg_idx i = 0; i < n; i++)
        y[i] = dX[i] * s;
}

/* Softmax cross-entropy, a block of rows at a time. With q = (1 - eps) onehot(t) + eps / C,
 *   loss = lse - sum_c q_c x_c = lse - (1 - eps) x_t - (eps / C) sum_c x_c,   dX = softmax - q.
 * The exps of a whole block (x - the row's max, all <= 0) are one flat loop that vectorises,
 * however few classes a row has; each row's exp-sum is then added in column order in double.
 * NaN anywhere in a row reaches its exp-sum, hence lse, loss and the whole gradient row. */
#ifndef FG_CE_BLOCK
#define FG_CE_BLOCK 1024 /* elements of scratch: a block is FG_CE_BLOCK / C rows */
#endif

FG_VECTOR_CLONES static void FG_NAME(ce_block)(fg_idx rows, fg_idx C, const T *X,
                                               const int64_t *target, int64_t ignore_index,
                                               double eps, T *loss, T *dX, T *scratch)
{
    T mx[FG_CE_BLOCK];
    double s[FG_CE_BLOCK];
    /* Loops over a block run across rows innermost where a row would carry a dependency
     * from one column to the next (max, sum): each row still sees its columns in order. */
    for (fg_idx r = 0; r < rows; r++) {
        mx[r] = X[r * C];
        s[r] = 0;
    }
    for (fg_idx c = 1; c < C; c++)
        for (fg_idx r = 0; r < rows; r++) {
            const T v = X[r * C + c];
            mx[r] = v > mx[r] ? v : mx[r];
        }
    /* C beyond the scratch (then rows == 1) goes through it in chunks */
    for (fg_idx c0 = 0; c0 < C; c0 += FG_CE_BLOCK) {
        const fg_idx w = C - c0 < FG_CE_BLOCK ? C - c0 : FG_CE_BLOCK;
        for (fg_idx r = 0; r < rows; r++)
            for (fg_idx c = 0; c < w; c++)
                scratch[r * w + c] = X[r * C + c0 + c] - mx[r];
        for (fg_idx k = 0; k < rows * w; k++)
            scratch[k] = FG_NAME(exp_nonpos)(scratch[k]);
        for (fg_idx c = 0; c < w; c++)
            for (fg_idx r = 0; r < rows; r++)
                s[r] += scratch[r * w + c];
        if (dX) /* the exps parked in dX, normalised below */
            for (fg_idx r = 0; r < rows; r++)
                memcpy(dX + r * C + c0, scratch + r * w, (size_t)w * sizeof(T));
    }
    for (fg_idx r = 0; r < rows; r++) {
        const T *x = X + r * C;
        T *d = dX ? dX + r * C : NULL;
        const int64_t t = target[r];
        if (t == ignore_index) {
            loss[r] = 0;
            if (d)
                for (fg_idx c = 0; c < C; c++)
                    d[c] = 0;
            continue;
        }
        const double lse = (double)mx[r] + log(s[r]);
        double l = lse - (1 - eps) * (double)x[t];
        if (eps != 0) { /* skipped at eps == 0 so a -inf logit does not turn 0 * -inf into NaN */
            double sx = 0;
            for (fg_idx c = 0; c < C; c++)
                sx += x[c];
            l -= eps / (double)C * sx;
        }
        loss[r] = (T)l;
        if (d) {
            const double inv = 1 / s[r], q_off = eps / (double)C;
            for (fg_idx c = 0; c < C; c++)
                d[c] = (T)((double)d[c] * inv - q_off);
            d[t] = (T)((double)d[t] - (1 - eps));
        }
    }
}

void FG_NAME(fg_cross_entropy)(fg_idx M, fg_idx C, const T *X, const int64_t *target,
                               int64_t ignore_index, double label_smoothing, T *loss, T *dX)
{
    T scratch[FG_CE_BLOCK];
    if (C <= 0) {
        for (fg_idx i = 0; i < M; i++)
            loss[i] = 0;
        return;
    }
    const fg_idx per_block = C < FG_CE_BLOCK ? FG_CE_BLOCK / C : 1;
    for (fg_idx i = 0; i < M; i += per_block) {
        const fg_idx rows = M - i < per_block ? M - i : per_block;
        FG_NAME(ce_block)(rows, C, X + i * C, target + i, ignore_index, label_smoothing,
                          loss + i, dX ? dX + i * C : NULL, scratch);
    }
}
