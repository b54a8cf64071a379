/* optim_impl.h: optimizer bodies, instantiated for float and double by dtype.h. */

FG_VECTOR_CLONES void FG_NAME(fg_sgd_step)(fg_idx n, T *restrict p, const T *restrict g, T *restrict buf,
                          double lr, double momentum,
                          double dampening, double weight_decay, int nesterov, int first)
{
    const T wd = (T)weight_decay, mom = (T)momentum, damp1 = (T)(1 - dampening), neg_lr = (T)-lr;
    for (fg_idx i = 0; i < n; i++) {
        T d = g[i];
        if (weight_decay != 0)
            d = d + wd * p[i]; /* grad.add(param, alpha=weight_decay) */
        if (momentum != 0) {
            const T b = first ? d : buf[i] * mom + damp1 * d; /* buf.mul_(m).add_(g, 1-damp) */
            buf[i] = b;
            d = nesterov ? d + mom * b : b;
        }
        p[i] = p[i] + neg_lr * d; /* param.add_(grad, alpha=-lr) */
    }
}

/* One element of Adam's moments, shared by the two loops below. */
static inline T FG_NAME(adam_moments)(T pi, T gi, T *mi, T *vi, T w1, T b2, T w2, T wd,
                                      T decay, int coupled_wd, int decoupled_wd, T *p_out)
{
    if (decoupled_wd)
        pi = pi * decay;      /* param.mul_(1 - lr * weight_decay) */
    if (coupled_wd)
        gi = gi + wd * pi;    /* grad.add(param, alpha=weight_decay) */
    /* exp_avg.lerp_(grad, 1 - beta1): ATen's lerp for weight < 0.5 is self + w*(end-self);
     * beta1 >= 0.5 in any sane setting, but keep the other branch to be exact. */
    *mi = w1 < (T)0.5 ? *mi + w1 * (gi - *mi) : gi - (gi - *mi) * (1 - w1);
    *vi = *vi * b2 + w2 * gi * gi; /* mul_(beta2).addcmul_(g, g, value=1-beta2) */
    *p_out = pi;
    return *vi;
}

/* The per-element work is written once (adam_moments); the amsgrad and plain variants are
 * separate loops because a conditional store (vmax) inside one loop stops GCC from
 * vectorising it (docs/KERNEL-NOTES.md). */
FG_VECTOR_CLONES static void FG_NAME(adam_range)(fg_idx n, T *restrict p, const T *restrict g,
                                                 T *restrict m, T *restrict v, T *restrict vmax,
                                                 double lr, double beta1, double beta2,
                                                 double eps, double weight_decay, int decoupled,
                                                 int64_t step)
{
    const double bc1 = 1 - pow(beta1, (double)step);
    const double bc2 = 1 - pow(beta2, (double)step);
    const T step_size_neg = (T)(-(lr / bc1));
    const T bc2_sqrt = (T)sqrt(bc2);
    const T w1 = (T)(1 - beta1), b2 = (T)beta2, w2 = (T)(1 - beta2), teps = (T)eps;
    const T wd = (T)weight_decay, decay = (T)(1 - lr * weight_decay);
    const int coupled_wd = weight_decay != 0 && !decoupled;
    const int decoupled_wd = weight_decay != 0 && decoupled;

    if (!vmax) {
        for (fg_idx i = 0; i < n; i++) {
            T pi;
            const T vi = FG_NAME(adam_moments)(p[i], g[i], &m[i], &v[i], w1, b2, w2, wd, decay,
                                               coupled_wd, decoupled_wd, &pi);
            const T denom = FG_M(sqrt)(vi) / bc2_sqrt + teps;
            p[i] = pi + step_size_neg * (m[i] / denom); /* addcdiv_(m, denom, -step_size) */
        }
        return;
    }
    for (fg_idx i = 0; i < n; i++) { /* amsgrad: torch.maximum keeps NaN */
        T pi;
        const T vi = FG_NAME(adam_moments)(p[i], g[i], &m[i], &v[i], w1, b2, w2, wd, decay,
                                           coupled_wd, decoupled_wd, &pi);
        const T vm = vmax[i];
        const T vhat = (vm != vm || vm > vi) ? vm : vi;
        vmax[i] = vhat;
        const T denom = FG_M(sqrt)(vhat) / bc2_sqrt + teps;
        p[i] = pi + step_size_neg * (m[i] / denom);
    }
}

typedef struct {
    fg_idx n;
    T *p, *m, *v, *vmax;
    const T *g;
    double lr, beta1, beta2, eps, weight_decay;
    int decoupled;
    int64_t step;
} FG_NAME(adam_job);

static void FG_NAME(adam_part)(void *raw, int t, int nt)
{
    const FG_NAME(adam_job) *j = raw;
    const fg_idx lo = j->n * t / nt, hi = j->n * (t + 1) / nt;
    FG_NAME(adam_range)(hi - lo, j->p + lo, j->g + lo, j->m + lo, j->v + lo,
                        j->vmax ? j->vmax + lo : NULL, j->lr, j->beta1, j->beta2, j->eps,
                        j->weight_decay, j->decoupled, j->step);
}

/* Large buffers are split over the pool's threads: the update is elementwise, so the result
 * is the same for any split. */
void FG_NAME(fg_adam_step)(fg_idx n, T *p, const T *g, T *m, T *v, T *vmax, double lr,
                           double beta1, double beta2, double eps, double weight_decay,
                           int decoupled, int64_t step)
{
    const int parts = (int)(n / FG_OPTIM_ELEMS_PER_THREAD);
    if (parts > 1) {
        FG_NAME(adam_job) j = {n, p, m, v, vmax, g, lr, beta1, beta2, eps, weight_decay,
                               decoupled, step};
        fg_parallel_run(parts, FG_NAME(adam_part), &j);
        return;
    }
    FG_NAME(adam_range)(n, p, g, m, v, vmax, lr, beta1, beta2, eps, weight_decay, decoupled,
                        step);
}
