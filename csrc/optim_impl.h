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

/* sqrt(v) / bc2_sqrt, PyTorch's division, bit for bit, at the cost of a multiplication. A
 * float quotient s/b lies at least 2^-49 (relatively) from any midpoint between two floats;
 * s * RN(1/b) in double is within 2^-52 of it, so rounding that to float gives the correctly
 * rounded quotient (s >= 0 or NaN here, and b >= 2^-27, so nothing under- or overflows). The
 * divider is what bounds Adam's loop, and this frees a third of its work. A double has no
 * wider type to do the same, so it divides. */
#define adam_scaled_f32(s, b, inv_b) ((float)((double)(s) * (inv_b)))
#define adam_scaled_f64(s, b, inv_b) ((void)(inv_b), (s) / (b))

/* The per-element work is written once (adam_moments); the amsgrad and plain variants are
 * separate loops because a conditional store (vmax) inside one loop stops GCC from
 * vectorising it (docs/KERNEL-NOTES.md). */
FG_VECTOR_CLONES static void FG_NAME(adam_range)(fg_idx n, T *restrict p, const T *restrict g,
                                                 T *restrict m, T *restrict v, T *restrict vmax,
                                                 double lr, double beta1, double beta2,
                                                 double eps, double weight_decay, int decoupled,
                                                 double bc1, double bc2)
{
    const T step_size_neg = (T)(-(lr / bc1));
    const T bc2_sqrt = (T)sqrt(bc2);
    const double inv_bc2_sqrt = 1.0 / (double)bc2_sqrt; /* RN(1 / bc2_sqrt), for float */
    const T w1 = (T)(1 - beta1), b2 = (T)beta2, w2 = (T)(1 - beta2), teps = (T)eps;
    const T wd = (T)weight_decay, decay = (T)(1 - lr * weight_decay);
    const int coupled_wd = weight_decay != 0 && !decoupled;
    const int decoupled_wd = weight_decay != 0 && decoupled;

    if (!vmax) {
        for (fg_idx i = 0; i < n; i++) {
            T pi;
            const T vi = FG_NAME(adam_moments)(p[i], g[i], &m[i], &v[i], w1, b2, w2, wd, decay,
                                               coupled_wd, decoupled_wd, &pi);
            const T denom = FG_NAME(adam_scaled)(FG_M(sqrt)(vi), bc2_sqrt, inv_bc2_sqrt) + teps;
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
        const T denom = FG_NAME(adam_scaled)(FG_M(sqrt)(vhat), bc2_sqrt, inv_bc2_sqrt) + teps;
        p[i] = pi + step_size_neg * (m[i] / denom);
    }
}

typedef struct {
    fg_idx n;
    T *p, *m, *v, *vmax;
    const T *g;
    double lr, beta1, beta2, eps, weight_decay;
    int decoupled;
    double bc1, bc2;
} FG_NAME(adam_job);

static void FG_NAME(adam_part)(void *raw, int t, int nt)
{
    const FG_NAME(adam_job) *j = raw;
    const fg_idx lo = j->n * t / nt, hi = j->n * (t + 1) / nt;
    FG_NAME(adam_range)(hi - lo, j->p + lo, j->g + lo, j->m + lo, j->v + lo,
                        j->vmax ? j->vmax + lo : NULL, j->lr, j->beta1, j->beta2, j->eps,
                        j->weight_decay, j->decoupled, j->bc1, j->bc2);
}

/* Large buffers are split over the pool's threads: the update is elementwise, so the result
 * is the same for any split. */
void FG_NAME(fg_adam_step)(fg_idx n, T *p, const T *g, T *m, T *v, T *vmax, double lr,
                           double beta1, double beta2, double eps, double weight_decay,
                           int decoupled, double bc1, double bc2)
{
    const int parts = (int)(n / FG_OPTIM_ELEMS_PER_THREAD);
    if (parts > 1) {
        FG_NAME(adam_job) j = {n, p, m, v, vmax, g, lr, beta1, beta2, eps, weight_decay,
                               decoupled, bc1, bc2};
        fg_parallel_run(parts, FG_NAME(adam_part), &j);
        return;
    }
    FG_NAME(adam_range)(n, p, g, m, v, vmax, lr, beta1, beta2, eps, weight_decay, decoupled,
                        bc1, bc2);
}
