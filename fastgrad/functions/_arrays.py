"""The array form the C kernels take."""
import numpy as np


def float_contiguous(x: object) -> np.ndarray:
    """x as a C-contiguous float32 or float64 array of the same shape (a 0-d array stays 0-d,
    which np.ascontiguousarray would make 1-d); any other dtype becomes float32."""
    x = np.asarray(x)
    if x.dtype.type not in (np.float32, np.float64):
        x = x.astype(np.float32)
    return np.asarray(x, order="C")
