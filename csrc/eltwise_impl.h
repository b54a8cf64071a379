/* eltwise_impl.h: activation bodies, instantiated for float and double by dtype.h. */

/* exp of -|x| never overflows, so both tails are accurate; NaN stays NaN. */
static inline T FG_NAME(sigmoid1)(T x)
{
    const T e = FG_NAME(exp_nonpos)(-FG_M(fabs)(x));
    const T r = 1 / (1 + e);
    return x >= 0 ? r : e * r;
}

FG_VECTOR_CLONES void FG_NAME(fg_act_forward)(fg_idx n, int act, double param, const T *x, T *y)
{
    const T p = (T)param;
    fg_idx i;
    switch (act) {
    case FG_ACT_RELU: /* x < 0 is false for NaN, so NaN propagates */
        for (i = 0; i < n; i++) y[i] = x[i] < 0 ? 0 : x[i];
        break;
    case FG_ACT_TANH:
        for (i = 0; i < n; i++) y[i] = FG_NAME(tanh)(x[i]);
        break;
    case FG_ACT_SIGMOID:
        for (i = 0; i < n; i++) y[i] = FG_NAME(sigmoid1)(x[i]);
        break;
    case FG_ACT_LEAKY_RELU:
        for (i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : x[i] * p;
        break;
    case FG_ACT_GELU:
        for (i = 0; i < n; i++)
            y[i] = x[i] * (T)0.5 * (1 + FG_M(erf)(x[i] * (T)FG_SQRT1_2));
        break;
    case FG_ACT_GELU_TANH:
        for (i = 0; i < n; i++) {
            const T v = x[i];
            const T inner = (T)FG_SQRT_2_OVER_PI * (v + (T)FG_GELU_KAPPA * v * v * v);
            y[i] = (T)0.5 * v * (1 + FG_M(tanh)(inner));
        }
        break;
    case FG_ACT_ELU: /* expm1: no cancellation near 0 */
        for (i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : p * FG_M(expm1)(x[i]);
        break;
    case FG_ACT_SILU:
        for (i = 0; i < n; i++) y[i] = x[i] * FG_NAME(sigmoid1)(x[i]);
        break;
    case FG_ACT_SOFTPLUS:
        for (i = 0; i < n; i++) {
            const T bx = x[i] * p;
            y[i] = bx > FG_SOFTPLUS_THRESHOLD ? x[i] : FG_M(log1p)(FG_M(exp)(bx)) / p;
        }
        break;
    default: /* FG_ACT_NONE */
        if (y != x)
            for (i = 0; i < n; i++) y[i] = x[i];
        break;
    }
}

FG_VECTOR_CLONES void FG_NAME(fg_act_backward)(fg_idx n, int act, double param, const T *x, const T *y,
                              const T *dy, T *dx)
{
    const T p = (T)param;
    fg_idx i;
    switch (act) {
    case FG_ACT_RELU: { /* PyTorch's threshold_backward: zero where the saved value <= 0 */
        const T *s = y ? y : x;
        for (i = 0; i < n; i++) dx[i] = s[i] <= 0 ? 0 : dy[i];
        break;
    }
    case FG_ACT_TANH:
        for (i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
        break;
    case FG_ACT_SIGMOID:
        for (i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i]) * y[i];
        break;
    case FG_ACT_LEAKY_RELU:
        for (i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * p;
        break;
    case FG_ACT_GELU: /* Phi(x) + x * phi(x) */
        for (i = 0; i < n; i++) {
            const T v = x[i];
            const T cdf = (T)0.5 * (1 + FG_M(erf)(v * (T)FG_SQRT1_2));
            const T pdf = (T)FG_INV_SQRT_2PI * FG_M(exp)(v * v * (T)-0.5);
            dx[i] = dy[i] * (cdf + v * pdf);
        }
        break;
    case FG_ACT_GELU_TANH: /* PyTorch's GeluBackwardKernelImpl, term by term */
        for (i = 0; i < n; i++) {
            const T v = x[i];
            const T v2 = v * v;
            const T inner = (T)FG_SQRT_2_OVER_PI * (v + (T)FG_GELU_KAPPA * v2 * v);
            const T t = FG_M(tanh)(inner);
            const T left = (T)0.5 * v;
            const T right = 1 + t;
            const T left_derivative = (T)0.5 * right;
            const T tanh_derivative = 1 - t * t;
            const T inner_derivative = (T)FG_SQRT_2_OVER_PI * (1 + 3 * (T)FG_GELU_KAPPA * v2);
            const T right_derivative = left * tanh_derivative * inner_derivative;
            dx[i] = dy[i] * (left_derivative + right_derivative);
        }
        break;
    case FG_ACT_ELU: /* PyTorch elu_backward on the input (is_result = false) */
        for (i = 0; i < n; i++) dx[i] = x[i] <= 0 ? dy[i] * p * FG_M(exp)(x[i]) : dy[i];
        break;
    case FG_ACT_SILU:
        for (i = 0; i < n; i++) {
            const T s = FG_NAME(sigmoid1)(x[i]);
            dx[i] = dy[i] * s * (1 + x[i] * (1 - s));
        }
        break;
    case FG_ACT_SOFTPLUS: /* sigmoid(beta x) written as z / (z + 1), z = exp(beta x) */
        for (i = 0; i < n; i++) {
            const T bx = x[i] * p;
            const T z = FG_M(exp)(bx);
            dx[i] = bx > FG_SOFTPLUS_THRESHOLD ? dy[i] : dy[i] * z / (z + 1);
        }
        break;
    default: /* FG_ACT_NONE */
        if (dx != dy)
            for (i = 0; i < n; i++) dx[i] = dy[i];
        break;
    }
}
