/* activation.h: the activations, in one table, and each one's forward beside its derivative.
 *
 * Adding an activation: a row in FG_ACTIVATIONS and a pair <name>_fwd / <name>_bwd below.
 * The enum fg_act (fastgrad.h), the switches of eltwise_impl.h, the names and what each
 * derivative reads as the binding exports them (_kernels.ACTIVATIONS, ACTIVATION_READS) are
 * all made from the table.
 *
 * Each activation follows PyTorch's CPU definition (aten/src/ATen/native/cpu/Activation.cpp
 * and UnaryOpsKernel.cpp), including which saved tensor its derivative reads: the input x, the
 * output y, either (relu: the mask x > 0 equals y > 0), or none. `param` is the one scalar some
 * take (leaky_relu's negative_slope, elu's alpha, softplus' beta).
 *
 * This file has two parts. The table is plain C, included by fastgrad.h. The pairs need the
 * element type: eltwise_impl.h includes this file again inside each instantiation of dtype.h
 * (T and FG_NAME defined), after eltwise.c's fast exp and tanh.
 */
#ifndef FG_ACTIVATION_TABLE
#define FG_ACTIVATION_TABLE

/* What a derivative reads: the activation's input, its output, either one, or neither. */
enum { FG_READS_NOTHING = 0, FG_READS_X = 1, FG_READS_Y = 2, FG_READS_X_OR_Y = 3 };

/* X(name, enum, reads). The order fixes each activation's code (its index). */
#define FG_ACTIVATIONS(X)                                                           \
    X(none,       FG_ACT_NONE,       FG_READS_NOTHING)                              \
    X(relu,       FG_ACT_RELU,       FG_READS_X_OR_Y)                               \
    X(tanh,       FG_ACT_TANH,       FG_READS_Y)                                    \
    X(sigmoid,    FG_ACT_SIGMOID,    FG_READS_Y)                                    \
    X(leaky_relu, FG_ACT_LEAKY_RELU, FG_READS_X) /* slope < 0: y cannot tell the side */ \
    X(gelu,       FG_ACT_GELU,       FG_READS_X) /* exact: x * Phi(x) */            \
    X(gelu_tanh,  FG_ACT_GELU_TANH,  FG_READS_X) /* approximate='tanh' */           \
    X(elu,        FG_ACT_ELU,        FG_READS_X)                                    \
    X(silu,       FG_ACT_SILU,       FG_READS_X)                                    \
    X(softplus,   FG_ACT_SOFTPLUS,   FG_READS_X) /* linear where beta*x > 20 */ \
    X(relu6,      FG_ACT_RELU6,      FG_READS_X_OR_Y) /* 0 < x < 6 iff 0 < y < 6 */ \
    X(selu,       FG_ACT_SELU,       FG_READS_X)                                    \
    X(celu,       FG_ACT_CELU,       FG_READS_X) /* param: alpha, non-zero */       \
    X(mish,       FG_ACT_MISH,       FG_READS_X)                                    \
    X(softsign,   FG_ACT_SOFTSIGN,   FG_READS_X)                                    \
    X(hardsigmoid, FG_ACT_HARDSIGMOID, FG_READS_X)                                  \
    X(hardswish,  FG_ACT_HARDSWISH,  FG_READS_X)                                    \
    X(logsigmoid, FG_ACT_LOGSIGMOID, FG_READS_X)                                    \
    X(tanhshrink, FG_ACT_TANHSHRINK, FG_READS_X)

/* PyTorch's default Softplus threshold, the one the kernel applies. */
#define FG_SOFTPLUS_THRESHOLD 20

#endif /* FG_ACTIVATION_TABLE */

#ifdef FG_NAME
/* ---- the pairs: forward y = f(x), derivative dx = dy * f'(s), s the saved tensor the table
 * names (x or y). Spelled out because strict C99 <math.h> lacks M_SQRT1_2 and friends. ---- */
#ifndef FG_SQRT1_2
#define FG_SQRT1_2 0.70710678118654752440        /* 1/sqrt(2) */
#define FG_INV_SQRT_2PI 0.39894228040143267794   /* 1/sqrt(2*pi) */
#define FG_SQRT_2_OVER_PI 0.79788456080286535588 /* sqrt(2/pi): PyTorch's kBeta */
#define FG_GELU_KAPPA 0.044715
#define FG_SELU_ALPHA 1.6732632423543772848170429916717
#define FG_SELU_SCALE 1.0507009873554804934193349852946
#endif

static inline T FG_NAME(none_fwd)(T x, T p) { (void)p; return x; }
static inline T FG_NAME(none_bwd)(T s, T dy, T p) { (void)s; (void)p; return dy; }

/* x < 0 is false for NaN, so NaN propagates; backward is PyTorch's threshold_backward: zero
 * where the saved value is <= 0. */
static inline T FG_NAME(relu_fwd)(T x, T p) { (void)p; return x < 0 ? 0 : x; }
static inline T FG_NAME(relu_bwd)(T s, T dy, T p) { (void)p; return s <= 0 ? 0 : dy; }

static inline T FG_NAME(tanh_fwd)(T x, T p) { (void)p; return FG_NAME(tanh)(x); }
static inline T FG_NAME(tanh_bwd)(T y, T dy, T p) { (void)p; return dy * (1 - y * y); }

/* exp of -|x| never overflows, so both tails are accurate; NaN stays NaN. */
static inline T FG_NAME(sigmoid1)(T x)
{
    const T e = FG_NAME(exp_nonpos)(-FG_M(fabs)(x));
    const T r = 1 / (1 + e);
    return x >= 0 ? r : e * r;
}
static inline T FG_NAME(sigmoid_fwd)(T x, T p) { (void)p; return FG_NAME(sigmoid1)(x); }
static inline T FG_NAME(sigmoid_bwd)(T y, T dy, T p) { (void)p; return dy * (1 - y) * y; }

static inline T FG_NAME(leaky_relu_fwd)(T x, T p) { return x > 0 ? x : x * p; }
static inline T FG_NAME(leaky_relu_bwd)(T x, T dy, T p) { return x > 0 ? dy : dy * p; }

/* x * Phi(x); derivative Phi(x) + x * phi(x) */
static inline T FG_NAME(gelu_fwd)(T x, T p)
{
    (void)p;
    return x * (T)0.5 * (1 + FG_M(erf)(x * (T)FG_SQRT1_2));
}
static inline T FG_NAME(gelu_bwd)(T x, T dy, T p)
{
    (void)p;
    const T cdf = (T)0.5 * (1 + FG_M(erf)(x * (T)FG_SQRT1_2));
    const T pdf = (T)FG_INV_SQRT_2PI * FG_M(exp)(x * x * (T)-0.5);
    return dy * (cdf + x * pdf);
}

/* 0.5 x (1 + tanh(sqrt(2/pi) (x + kappa x^3))); the derivative is PyTorch's
 * GeluBackwardKernelImpl, term by term. */
static inline T FG_NAME(gelu_tanh_fwd)(T x, T p)
{
    (void)p;
    const T inner = (T)FG_SQRT_2_OVER_PI * (x + (T)FG_GELU_KAPPA * x * x * x);
    return (T)0.5 * x * (1 + FG_M(tanh)(inner));
}
static inline T FG_NAME(gelu_tanh_bwd)(T x, T dy, T p)
{
    (void)p;
    const T x2 = x * x;
    const T inner = (T)FG_SQRT_2_OVER_PI * (x + (T)FG_GELU_KAPPA * x2 * x);
    const T t = FG_M(tanh)(inner);
    const T left = (T)0.5 * x;
    const T right = 1 + t;
    const T left_derivative = (T)0.5 * right;
    const T tanh_derivative = 1 - t * t;
    const T inner_derivative = (T)FG_SQRT_2_OVER_PI * (1 + 3 * (T)FG_GELU_KAPPA * x2);
    const T right_derivative = left * tanh_derivative * inner_derivative;
    return dy * (left_derivative + right_derivative);
}

/* expm1: no cancellation near 0; backward is PyTorch's elu_backward on the input. */
static inline T FG_NAME(elu_fwd)(T x, T p) { return x > 0 ? x : p * FG_M(expm1)(x); }
static inline T FG_NAME(elu_bwd)(T x, T dy, T p) { return x <= 0 ? dy * p * FG_M(exp)(x) : dy; }

static inline T FG_NAME(silu_fwd)(T x, T p) { (void)p; return x * FG_NAME(sigmoid1)(x); }
static inline T FG_NAME(silu_bwd)(T x, T dy, T p)
{
    (void)p;
    const T s = FG_NAME(sigmoid1)(x);
    return dy * s * (1 + x * (1 - s));
}

/* log(1 + exp(beta x)) / beta; derivative sigmoid(beta x), written as z / (z + 1) with
 * z = exp(beta x). Linear past the threshold, as PyTorch. */
static inline T FG_NAME(softplus_fwd)(T x, T p)
{
    const T bx = x * p;
    return bx > FG_SOFTPLUS_THRESHOLD ? x : FG_M(log1p)(FG_M(exp)(bx)) / p;
}
static inline T FG_NAME(softplus_bwd)(T x, T dy, T p)
{
    const T bx = x * p;
    const T z = FG_M(exp)(bx);
    return bx > FG_SOFTPLUS_THRESHOLD ? dy : dy * z / (z + 1);
}

/* min(max(x, 0), 6), PyTorch's hardtanh(x, 0, 6); NaN propagates. The derivative is
 * hardtanh_backward: zero at and beyond the bounds, and (as there) passed through for NaN. */
static inline T FG_NAME(relu6_fwd)(T x, T p) { (void)p; return x < 0 ? 0 : (x > 6 ? 6 : x); }
static inline T FG_NAME(relu6_bwd)(T s, T dy, T p) { (void)p; return (s <= 0 || s >= 6) ? 0 : dy; }

/* scale * (x if x > 0 else alpha * (exp(x) - 1)), with PyTorch's alpha and scale. */
static inline T FG_NAME(selu_fwd)(T x, T p)
{
    (void)p;
    return x > 0 ? (T)FG_SELU_SCALE * x : (T)(FG_SELU_SCALE * FG_SELU_ALPHA) * FG_M(expm1)(x);
}
static inline T FG_NAME(selu_bwd)(T x, T dy, T p)
{
    (void)p;
    return x <= 0 ? dy * (T)(FG_SELU_SCALE * FG_SELU_ALPHA) * FG_M(exp)(x) : dy * (T)FG_SELU_SCALE;
}

/* x if x > 0 else alpha * (exp(x / alpha) - 1); derivative exp(x / alpha) on the left. */
static inline T FG_NAME(celu_fwd)(T x, T p) { return x > 0 ? x : p * FG_M(expm1)(x / p); }
static inline T FG_NAME(celu_bwd)(T x, T dy, T p) { return x <= 0 ? dy * FG_M(exp)(x / p) : dy; }

/* softplus(x) = max(x, 0) + log1p(exp(-|x|)): no overflow, no cancellation. */
static inline T FG_NAME(softplus1)(T x)
{
    return (x > 0 ? x : 0) + FG_M(log1p)(FG_NAME(exp_nonpos)(-FG_M(fabs)(x)));
}

/* x * tanh(softplus(x)); derivative tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2), as
 * PyTorch's mish_backward. */
static inline T FG_NAME(mish_fwd)(T x, T p)
{
    (void)p;
    return x * FG_M(tanh)(FG_NAME(softplus1)(x));
}
static inline T FG_NAME(mish_bwd)(T x, T dy, T p)
{
    (void)p;
    const T t = FG_M(tanh)(FG_NAME(softplus1)(x));
    return dy * (t + x * FG_NAME(sigmoid1)(x) * (1 - t * t));
}

/* x / (1 + |x|); derivative 1 / (1 + |x|)^2 */
static inline T FG_NAME(softsign_fwd)(T x, T p) { (void)p; return x / (1 + FG_M(fabs)(x)); }
static inline T FG_NAME(softsign_bwd)(T x, T dy, T p)
{
    (void)p;
    const T d = 1 + FG_M(fabs)(x);
    return dy / (d * d);
}

/* min(max(x + 3, 0), 6) / 6; derivative 1/6 strictly inside (-3, 3), else 0 (PyTorch). */
static inline T FG_NAME(hardsigmoid_fwd)(T x, T p)
{
    (void)p;
    const T t = x + 3;
    return (t < 0 ? 0 : (t > 6 ? 6 : t)) / 6;
}
static inline T FG_NAME(hardsigmoid_bwd)(T x, T dy, T p)
{
    (void)p;
    return (x > -3 && x < 3) ? dy / 6 : 0;
}

/* x * hardsigmoid(x); derivative 0 below -3, x / 3 + 1/2 up to 3, 1 above (PyTorch's
 * hardswish_backward, which takes the middle branch at both ends). */
static inline T FG_NAME(hardswish_fwd)(T x, T p)
{
    return x * FG_NAME(hardsigmoid_fwd)(x, p);
}
static inline T FG_NAME(hardswish_bwd)(T x, T dy, T p)
{
    (void)p;
    return x < -3 ? 0 : (x <= 3 ? dy * (x / 3 + (T)0.5) : dy);
}

/* log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)); derivative sigmoid(-x) = 1 - sigmoid(x),
 * written with z = exp(-|x|) as PyTorch's log_sigmoid_backward. */
static inline T FG_NAME(logsigmoid_fwd)(T x, T p)
{
    (void)p;
    return (x < 0 ? x : 0) - FG_M(log1p)(FG_NAME(exp_nonpos)(-FG_M(fabs)(x)));
}
static inline T FG_NAME(logsigmoid_bwd)(T x, T dy, T p)
{
    (void)p;
    const T z = FG_NAME(exp_nonpos)(-FG_M(fabs)(x));
    return x < 0 ? dy * (1 - z / (1 + z)) : dy * (z / (1 + z));
}

/* x - tanh(x); derivative tanh(x)^2 */
static inline T FG_NAME(tanhshrink_fwd)(T x, T p) { (void)p; return x - FG_M(tanh)(x); }
static inline T FG_NAME(tanhshrink_bwd)(T x, T dy, T p)
{
    (void)p;
    const T t = FG_M(tanh)(x);
    return dy * t * t;
}
#endif /* FG_NAME */
