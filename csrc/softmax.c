/* softmax.c: softmax and log-softmax over one axis, forward and derivative (fastgrad.h).
 *
 * The tensor is viewed as contiguous (outer, n, inner): the axis has n elements, one row of it
 * is n elements `inner` apart. inner == 1 (the last axis) is the common, contiguous case.
 * Forward subtracts the row maximum before exp, so nothing overflows; the exp-sum and the
 * backward's dot product accumulate in double, in index order (deterministic).
 */
#include <math.h>
#include "fastgrad.h"

#define FG_IMPL "softmax_impl.h"
#include "dtype.h"
