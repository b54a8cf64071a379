"""Data sets shipped inside the package, so examples and tests run offline."""
import gzip
import os
from typing import Tuple

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))


def load_digits() -> Tuple[np.ndarray, np.ndarray]:
    """The UCI optical-recognition handwritten digits: 1,797 8x8 images, 10 classes.

    Returns (X, y): X float32 of shape (1797, 64) with pixel counts 0..16, y int64 labels 0..9.
    Source: E. Alpaydin and C. Kaynak, UCI Machine Learning Repository (CC BY 4.0); this is
    the test-set copy that scikit-learn also distributes.
    """
    with gzip.open(os.path.join(_HERE, "digits.csv.gz"), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return np.ascontiguousarray(table[:, :-1]), table[:, -1].astype(np.int64)


def load_digits_split(seed: int = 0, test_fraction: float = 0.25):
    """The digits shuffled with `seed`, split train/test, standardised by the training statistics.

    Returns (X_train, y_train, X_test, y_test), X float32; with the defaults, 1,347 training
    and 450 test images. The one recipe the demo, examples/train_digits.py and the benchmark share.
    """
    X, y = load_digits()
    perm = np.random.default_rng(seed).permutation(len(X))
    n_test = int(round(len(X) * test_fraction))
    test, train = perm[:n_test], perm[n_test:]
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    std[std == 0] = 1  # pixels that are blank in every training image
    scale = lambda a: ((a - mean) / std).astype(np.float32)  # noqa: E731
    return scale(X[train]), y[train], scale(X[test]), y[test]


__all__ = ["load_digits", "load_digits_split"]
