"""Numbers and arrays as short text: scalars and small tensors in full, larger ones as their
shape and norm."""
import math

import numpy as np

SMALL = 6  # tensors of at most this many elements are written out in full


def number(x):
    """A scalar to 4 significant digits: 2, 0.5, 0.3333, -1.2e-07."""
    x = float(x)
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.4g}"


def shape_text(shape):
    """(3, 4) as 3×4; () as scalar."""
    return "×".join(str(n) for n in shape) if len(shape) else "scalar"


def array(a, small=SMALL):
    """An array as text: a number for one element, the values for a few, else shape and norm."""
    a = np.asarray(a)
    if a.size == 1:
        return number(a.reshape(()))
    if a.dtype.kind in "fc" and a.size <= small:
        return np.array2string(a, precision=4, separator=", ", suppress_small=True,
                               formatter={"float_kind": number})
    if a.dtype.kind in "biu" and a.size <= small:
        return np.array2string(a, separator=", ")
    if a.dtype.kind == "f":
        return f"[{shape_text(a.shape)}, ‖·‖ = {number(np.linalg.norm(a.astype(np.float64)))}]"
    return f"[{shape_text(a.shape)} {a.dtype}]"
