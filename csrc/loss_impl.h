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

/* One row: max, exp-sum (exps parked in dX), logsumexp, loss, then softmax - q over dX.
 * With q = (1 - eps) onehot(t) + eps / C,
 *   loss = lse - sum_c q_c x_c = lse - (1 - eps) x_t - (eps / C) sum_c x_c.
 * NaN anywhere in the row reaches the exp-sum, hence lse, loss and the whole gradient row. */
static T FG_NAME(ce_row)(fg_idx C, const T *x, int64_t t, double eps, T *d)
{
    T mx = x[0];
    for (fg_idx c = 1; c < C; c++)
        mx = x[c] > mx ? x[c] : mx;
    double s = 0, sx = 0;
    for (fg_idx c = 0; c < C; c++) {
        const T e = FG_M(exp)(x[c] - mx);
        if (d)
            d[c] = e;
        s += e;
        sx += x[c];
    }
    const double lse = (double)mx + log(s);
    double loss = lse - (1 - eps) * (double)x[t];
    if (eps != 0) /* skipped at eps == 0 so a -inf logit does not turn 0 * -inf into NaN */
        loss -= eps / (double)C * sx;
    if (d) {
        const double inv = 1 / s, q_off = eps / (double)C;
        for (fg_idx c = 0; c < C; c++)
            d[c] = (T)((double)d[c] * inv - q_off);
        d[t] = (T)((double)d[t] - (1 - eps));
    }
    return (T)loss;
}

void FG_NAME(fg_cross_entropy)(fg_idx M, fg_idx C, const T *X, const int64_t *target,
                               int64_t ignore_index, double label_smoothing, T *loss, T *dX)
{
    for (fg_idx i = 0; i < M; i++) {
        T *d = dX ? dX + i * C : NULL;
        if (target[i] == ignore_index || C <= 0) {
            loss[i] = 0;
            if (d)
                for (fg_idx c = 0; c < C; c++)
                    d[c] = 0;
            continue;
        }
        loss[i] = FG_NAME(ce_row)(C, X + i * C, target[i], label_smoothing, d);
    }
}
