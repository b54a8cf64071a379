/* loss.c: softmax cross-entropy, squared error, and deterministic sums (fastgrad.h).
 *
 * Every reduction accumulates in double in an order fixed by n alone (blocks of FG_SUM_BLOCK,
 * combined pairwise), so results are bitwise reproducible run to run.
 */
#include <math.h>
#include <string.h>
#include "fastgrad.h"
#include "exp_nonpos.h"

#define FG_SUM_BLOCK 256
#define FG_SUM_LANES 8

#define FG_IMPL "loss_impl.h"
#include "dtype.h"
