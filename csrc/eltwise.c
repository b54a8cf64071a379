/* eltwise.c: activations forward and backward (fastgrad.h), elementwise; the activations
 * themselves are in activation.h, the loops in eltwise_impl.h. Here: the fast tanh they use in
 * float (from exp_nonpos.h's exp), and the table's names for the binding.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "fastgrad.h"
#include "exp_nonpos.h"

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

/* fastgrad.erf: NumPy has no error function. */
void fg_erf_f32(fg_idx n, const float *x, float *y)
{
    for (fg_idx i = 0; i < n; i++)
        y[i] = erff(x[i]);
}

void fg_erf_f64(fg_idx n, const double *x, double *y)
{
    for (fg_idx i = 0; i < n; i++)
        y[i] = erf(x[i]);
}
