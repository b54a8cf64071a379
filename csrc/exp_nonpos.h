/* exp_nonpos.h: exp(x) for x <= 0 as branch-free C that GCC vectorises, for the loops whose
 * exps would otherwise be one libm call per element (sigmoid, tanh, softmax cross-entropy). */
#ifndef FG_EXP_NONPOS_H
#define FG_EXP_NONPOS_H
#include <math.h>
#include <stdint.h>
#include <string.h>

/* exp(x) for x <= 0, float: glibc's expf is a call per element, which stops a loop from
 * vectorising (tanh, sigmoid and cross-entropy would then dominate a small network's step).
 * This one is branch-free C that GCC vectorises: x = k ln2 + r with |r| <= ln2/2, e^r from a
 * degree-7 polynomial (Cephes' expf coefficients, ~1 ulp), 2^k put into the exponent bits.
 * NaN propagates (every comparison with it is false). Below -87.3, where e^x leaves the
 * normal range, the result is 0 (e^-87.3 is 1.2e-38: sigmoid(-90) is 0 here, 8e-40 in libm). */
static inline float exp_nonpos_f32(float x)
{
    const float lo = -87.3365447504f;
    const float xc = x < lo ? lo : x;
    const float shifter = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    const float kf = (xc * 1.44269504088896341f + shifter) - shifter;
    const float r = (xc - kf * 0.693359375f) - kf * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const int32_t bits = ((int32_t)kf + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return x < lo ? 0.0f : p * scale;
}

static inline double exp_nonpos_f64(double x) { return exp(x); } /* float64 keeps libm */

#endif
