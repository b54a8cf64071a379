/* dense.c: one fully connected layer, y = act(x W^T + b), forward and backward (fastgrad.h).
 *
 * W keeps PyTorch's (out, in) = (N, K) layout; every product that needs W or an operand
 * transposed gets it through the GEMM's strides, never through a copy.
 */
#include "fastgrad.h"

/* Column sums are accumulated in double over this many columns at a time (a stack buffer, so
 * no allocation), visiting rows in order: deterministic for a given shape. */
#define FG_COLSUM_CHUNK 256
#define FG_COLSUM_NARROW 16 /* the widths dense_impl.h's column_sums_narrow lists */

#define FG_IMPL "dense_impl.h"
#include "dtype.h"
