"""Data sets shipped inside the package, so examples and tests run offline."""
import gzip
import os

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))


def load_digits():
    """The UCI optical-recognition handwritten digits: 1,797 8x8 images, 10 classes.

    Returns (X, y): X float32 of shape (1797, 64) with pixel counts 0..16, y int64 labels 0..9.
    Source: E. Alpaydin and C. Kaynak, UCI Machine Learning Repository (CC BY 4.0); this is
    the test-set copy that scikit-learn also distributes.
    """
    with gzip.open(os.path.join(_HERE, "digits.csv.gz"), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return np.ascontiguousarray(table[:, :-1]), table[:, -1].astype(np.int64)


__all__ = ["load_digits"]
