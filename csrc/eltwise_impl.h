/* eltwise_impl.h: the activation loops, instantiated for float and double by dtype.h. One case
 * per row of activation.h's table, each a plain map over n calling that row's pair; the switch
 * sits outside the loops so each loop vectorises. */
#include "activation.h"

FG_VECTOR_CLONES void FG_NAME(fg_act_forward)(fg_idx n, int act, double param, const T *x, T *y)
{
    const T p = (T)param;
    fg_idx i;
    switch (act) {
#define FG_FORWARD_CASE(name, code, reads)                  \
    case code:                                              \
        for (i = 0; i < n; i++)                             \
            y[i] = FG_NAME(name##_fwd)(x[i], p);            \
        break;
    FG_ACTIVATIONS(FG_FORWARD_CASE)
#undef FG_FORWARD_CASE
    }
}

/* The saved tensor a derivative reads, by the table's `reads`: NULL x or y are those the
 * binding was allowed to omit; FG_READS_NOTHING passes dy, which none_bwd ignores. */
#define FG_SAVED(reads, x, y, dy)                                                     \
    ((reads) == FG_READS_X ? (x) : (reads) == FG_READS_Y ? (y)                        \
     : (reads) == FG_READS_X_OR_Y ? ((y) ? (y) : (x)) : (dy))

FG_VECTOR_CLONES void FG_NAME(fg_act_backward)(fg_idx n, int act, double param, const T *x,
                                               const T *y, const T *dy, T *dx)
{
    const T p = (T)param;
    fg_idx i;
    switch (act) {
#define FG_BACKWARD_CASE(name, code, reads)                 \
    case code: {                                            \
        const T *s = FG_SAVED(reads, x, y, dy);             \
        for (i = 0; i < n; i++)                             \
            dx[i] = FG_NAME(name##_bwd)(s[i], dy[i], p);    \
        break;                                              \
    }
    FG_ACTIVATIONS(FG_BACKWARD_CASE)
#undef FG_BACKWARD_CASE
    }
}

#undef FG_SAVED
