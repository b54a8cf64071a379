/* eltwise.c: activations forward/backward and gradient accumulation (fastgrad.h).
 *
 * Each activation follows PyTorch's CPU definition (aten/src/ATen/native/cpu/Activation.cpp and
 * UnaryOpsKernel.cpp), including which saved tensor the backward reads:
 *   relu        y (x accepted too: the mask x > 0 equals y > 0); NaN passes forward and back
 *   tanh        y:  dy * (1 - y*y)
 *   sigmoid     y:  dy * (1 - y) * y
 *   leaky_relu  x:  x > 0 ? dy : dy * slope   (slope may be negative, so y cannot tell the side)
 *   gelu, gelu_tanh, silu, softplus, elu   x
 * The switch on the activation sits outside the loops so each loop is a plain map over n.
 */
#include <math.h>
#include "internal.h"

/* Spelled out because strict C99 <math.h> does not define M_SQRT1_2 and friends. */
#define FG_SQRT1_2 0.70710678118654752440      /* 1/sqrt(2) */
#define FG_INV_SQRT_2PI 0.39894228040143267794 /* 1/sqrt(2*pi) */
#define FG_SQRT_2_OVER_PI 0.79788456080286535588 /* sqrt(2/pi): PyTorch's kBeta */
#define FG_GELU_KAPPA 0.044715
#define FG_SOFTPLUS_THRESHOLD 20

#define FG_IMPL "eltwise_impl.h"
#include "dtype.h"
