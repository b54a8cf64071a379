/* softmax_impl.h: softmax bodies, instantiated for float and double by dtype.h. */

/* One row of n elements `s` apart. NaN anywhere reaches the exp-sum and so the whole row, as
 * in PyTorch. */
static void FG_NAME(softmax_row)(fg_idx n, fg_idx s, const T *x, T *y, int log_softmax)
{
    T mx = x[0];
    for (fg_idx k = 1; k < n; k++)
        mx = x[k * s] > mx ? x[k * s] : mx;
    double sum = 0;
    for (fg_idx k = 0; k < n; k++) {
        const T e = FG_M(exp)(x[k * s] - mx);
        if (!log_softmax)
            y[k * s] = e; /* parked, normalised below */
        sum += e;
    }
    if (log_softmax) {
        const T shift = mx + (T)log(sum);
        for (fg_idx k = 0; k < n; k++)
            y[k * s] = x[k * s] - shift;
    } else {
        const T inv = (T)(1 / sum);
        for (fg_idx k = 0; k < n; k++)
            y[k * s] *= inv;
    }
}

void FG_NAME(fg_softmax_forward)(fg_idx outer, fg_idx n, fg_idx inner, const T *x, T *y,
                                 int log_softmax)
{
    if (n <= 0)
        return;
    for (fg_idx o = 0; o < outer; o++)
        for (fg_idx j = 0; j < inner; j++) {
            const fg_idx base = o * n * inner + j;
            FG_NAME(softmax_row)(n, inner, x + base, y + base, log_softmax);
        }
}

/* softmax:     dx = y * (dy - sum_k dy_k y_k)
 * log_softmax: dx = dy - exp(y) * sum_k dy_k      (exp(y) is the softmax) */
static void FG_NAME(softmax_back_row)(fg_idx n, fg_idx s, const T *y, const T *dy, T *dx,
                                      int log_softmax)
{
    double acc = 0;
    if (log_softmax) {
        for (fg_idx k = 0; k < n; k++)
            acc += dy[k * s];
        const T total = (T)acc;
        for (fg_idx k = 0; k < n; k++)
            dx[k * s] = dy[k * s] - FG_M(exp)(y[k * s]) * total;
    } else {
        for (fg_idx k = 0; k < n; k++)
            acc += (double)dy[k * s] * (double)y[k * s];
        const T dot = (T)acc;
        for (fg_idx k = 0; k < n; k++)
            dx[k * s] = y[k * s] * (dy[k * s] - dot);
    }
}

void FG_NAME(fg_softmax_backward)(fg_idx outer, fg_idx n, fg_idx inner, const T *y,
                                  const T *dy, T *dx, int log_softmax)
{
    if (n <= 0)
        return;
    for (fg_idx o = 0; o < outer; o++)
        for (fg_idx j = 0; j < inner; j++) {
            const fg_idx base = o * n * inner + j;
            FG_NAME(softmax_back_row)(n, inner, y + base, dy + base, dx + base, log_softmax);
        }
}
