/* optim.c: SGD and Adam/AdamW steps over one parameter buffer (fastgrad.h).
 *
 * Transcribed from PyTorch's single-tensor paths (torch/optim/sgd.py _single_tensor_sgd,
 * torch/optim/adam.py _single_tensor_adam), operation by operation, so results track PyTorch to
 * the last few ulps. Scalars that PyTorch computes in Python (bias corrections, step size) are
 * computed here in double and then rounded to T, as PyTorch rounds a Python scalar to the
 * tensor's dtype; the per-element work is in T.
 */
#include <math.h>
#include "fastgrad.h"

/* Below this many elements a thread, waking another costs more than it saves. */
#define FG_OPTIM_ELEMS_PER_THREAD 32768

/* In double, as PyTorch computes them in Python; one dtype-free function, so the binding can
 * compute them once for all the parameters of a group at the same step. */
void fg_adam_bias_corrections(double beta1, double beta2, int64_t step, double *bc)
{
    bc[0] = 1 - pow(beta1, (double)step);
    bc[1] = 1 - pow(beta2, (double)step);
}

#define FG_IMPL "optim_impl.h"
#include "dtype.h"
