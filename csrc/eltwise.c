/* eltwise.c: activations forward and backward (fastgrad.h), elementwise; the activations
 * themselves are in activation.h, the loops in eltwise_impl.h. Here: the fast exp and tanh
 * they use in float, and the table's names for the binding.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "fastgrad.h"

/* exp(x) for x <= 0, float: glibc's expf is a call per element, which stops the loops from
 * vectorising (tanh and sigmoid would then dominate a small network's step).
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

/* tanh from e = exp(-2|x|): (1 - e) / (1 + e), sign restored. Near 0 that difference cancels,
 * so |x| < 1/16 takes the odd Taylor series instead (next term < 1e-13 there). */
static inline float tanh_f32(float x)
{
    const float a = fabsf(x);
    const float e = exp_nonpos_f32(-2.0f * a);
    const float big = (1.0f - e) / (1.0f + e);
    const float x2 = x * x;
    const float small = a * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315))));
    const float t = a < 0.0625f ? small : big;
    return x < 0 ? -t : (x > 0 ? t : x); /* x itself for 0, -0 and NaN */
}

static inline double tanh_f64(double x) { return tanh(x); }

#define FG_IMPL "eltwise_impl.h"
#include "dtype.h"

static const struct {
    const char *name;
    int reads;
} fg_act_table[FG_ACT_COUNT] = {
#define FG_TABLE_ROW(name, code, reads) {#name, reads},
    FG_ACTIVATIONS(FG_TABLE_ROW)
#undef FG_TABLE_ROW
};

const char *fg_act_name(int act) { return fg_act_table[act].name; }
int fg_act_reads(int act) { return fg_act_table[act].reads; }
