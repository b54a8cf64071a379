/* optim_impl.h: optimizer bodies, instantiated for float and double by dtype.h. */

void FG_NAME(fg_sgd_step)(fg_idx n, T *p, const T *g, T *buf, double lr, double momentum,
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

void FG_NAME(fg_adam_step)(fg_idx n, T *p, const T *g, T *m, T *v, T *vmax, double lr,
                           double beta1, double beta2, double eps, double weight_decay,
                           int decoupled, int64_t step)
{
    const double bc1 = 1 - pow(beta1, (double)step);
    const double bc2 = 1 - pow(beta2, (double)step);
    const T step_size_neg = (T)(-(lr / bc1));
    const T bc2_sqrt = (T)sqrt(bc2);
    const T w1 = (T)(1 - beta1), b2 = (T)beta2, w2 = (T)(1 - beta2), teps = (T)eps;
    const T wd = (T)weight_decay, decay = (T)(1 - lr * weight_decay);
    const int coupled_wd = weight_decay != 0 && !decoupled;
    const int decoupled_wd = weight_decay != 0 && decoupled;

    for (fg_idx i = 0; i < n; i++) {
        T pi = p[i], gi = g[i];
        if (decoupled_wd)
            pi = pi * decay;      /* param.mul_(1 - lr * weight_decay) */
        if (coupled_wd)
            gi = gi + wd * pi;    /* grad.add(param, alpha=weight_decay) */
        /* exp_avg.lerp_(grad, 1 - beta1): ATen's lerp for weight < 0.5 is self + w*(end-self);
         * beta1 >= 0.5 in any sane setting, but keep the other branch to be exact. */
        const T mi = w1 < (T)0.5 ? m[i] + w1 * (gi - m[i]) : gi - (gi - m[i]) * (1 - w1);
        const T vi = v[i] * b2 + w2 * gi * gi; /* mul_(beta2).addcmul_(g, g, value=1-beta2) */
        m[i] = mi;
        v[i] = vi;
        T vhat = vi;
        if (vmax) { /* amsgrad: torch.maximum keeps NaN */
            const T vm = vmax[i];
            vhat = (vm != vm || vm > vi) ? vm : vi;
            vmax[i] = vhat;
        }
        const T denom = FG_M(sqrt)(vhat) / bc2_sqrt + teps;
        p[i] = pi + step_size_neg * (mi / denom); /* addcdiv_(m, denom, value=-step_size) */
    }
}
