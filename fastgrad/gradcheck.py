"""gradcheck: does backward() agree with finite differences?

The independent check of every derivative in fastgrad: perturb each input element by +-eps,
measure how each output moves (a central difference, in float64), and compare that numerical
Jacobian with the one backward() produces, one output element at a time.
"""
import numpy as np

from .tensor import Tensor


class GradcheckError(RuntimeError):
    """backward() disagrees with the finite-difference Jacobian (message names the element)."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Returns True if backward() matches central differences for every input that requires
    grad; otherwise raises GradcheckError naming the worst element (or returns False).

    Inputs that require grad are copied to float64 first, so pass a function that keeps them
    in float64 (the finite differences are meaningless in float32).
    """
    if isinstance(inputs, Tensor) or not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    inputs = tuple(
        Tensor(np.array(x._data, dtype=np.float64), requires_grad=True)
        if isinstance(x, Tensor) and x.requires_grad else x
        for x in inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")

    outs = [o for o in _outputs(fn, inputs) if isinstance(o, Tensor) and o.requires_grad]
    if not outs:
        raise ValueError("gradcheck: no output requires grad")
    sizes = [o._data.size for o in outs]

    # Analytical Jacobian, row by row: backward() of each output element in turn.
    analytical = {i: np.zeros((sum(sizes), inputs[i]._data.size)) for i in checked}
    row = 0
    for o in outs:
        for k in range(o._data.size):
            for i in checked:
                inputs[i]._grad = None
            seed = np.zeros(o._data.shape, dtype=o._data.dtype)
            seed.flat[k] = 1
            o.backward(seed, retain_graph=True)
            for i in checked:
                g = inputs[i]._grad
                analytical[i][row] = 0 if g is None else g.ravel()
            row += 1

    # Numerical Jacobian, column by column: nudge one input element both ways.
    worst = None
    for i in checked:
        flat = inputs[i]._data.reshape(-1)
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = np.concatenate([np.ravel(o._data) for o in _outputs(fn, inputs)[:len(outs)]])
            flat[k] = orig - eps
            minus = np.concatenate([np.ravel(o._data) for o in _outputs(fn, inputs)[:len(outs)]])
            flat[k] = orig
            numerical = (plus - minus) / (2 * eps)
            ana = analytical[i][:, k]
            excess = np.abs(ana - numerical) - (atol + rtol * np.abs(numerical))
            j = int(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)))
            if (worst is None or excess[j] > worst[0]) and (excess[j] > 0 or np.isnan(excess[j])):
                worst = (excess[j], i, k, j, ana[j], numerical[j])
    if worst is None:
        return True
    _, i, k, j, a, n = worst
    index = np.unravel_index(k, inputs[i].shape) if inputs[i].ndim else ()
    msg = (f"gradcheck: Jacobian mismatch for input {i} at index {tuple(int(v) for v in index)}, "
           f"output element {j}: backward() gives {a:.8g}, finite differences {n:.8g} "
           f"(atol={atol}, rtol={rtol})")
    if raise_exception:
        raise GradcheckError(msg)
    return False
