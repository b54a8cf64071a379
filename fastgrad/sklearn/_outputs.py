"""The output layer of a multi-layer perceptron: its activation and the loss it is paired with.

Each pair is canonical (softmax with cross-entropy, logistic with binary cross-entropy, identity
with squared error, exp with Poisson deviance), so the derivative of the loss with respect to
the output layer's pre-activation is simply `prediction - target`: the backward pass starts
there and never differentiates the output activation itself. The loss values follow
scikit-learn's definitions (probabilities clipped to [eps, 1 - eps], L2 term added by the
caller), so that loss_curve_ reads the same.
"""
import numpy as np
from scipy.special import xlogy

from .. import _kernels

OUTPUT_ACTIVATIONS = ("identity", "logistic", "softmax", "exp")


def activate(name, z):
    """Applies the output activation `name` to the pre-activation z in place; returns z."""
    if name == "softmax":
        _kernels.softmax_forward(z, z, 1, False)
    elif name == "logistic":
        _kernels.act_forward(_kernels.ACT_SIGMOID, 0.0, z, z)
    elif name == "exp":
        np.exp(z, out=z)
    return z


def _average(values, sample_weight):
    """Mean over the samples (axis 0), weighted when sample_weight is given."""
    if sample_weight is None:
        return values.mean(axis=0)
    return np.average(values, weights=sample_weight, axis=0)


def _clip(P):
    """P clipped to [eps, 1 - eps] (a new array), as scikit-learn clips probabilities."""
    eps = np.finfo(P.dtype).eps
    out = np.maximum(P, eps)
    return np.minimum(out, 1 - eps, out=out)


def loss(name, Y, P, sample_weight=None, labels=None):
    """The data term of the loss of predictions P (after the output activation) for targets Y,
    both (n_samples, n_outputs), as scikit-learn defines it.

    name: 'softmax' (cross-entropy), 'logistic' (binary cross-entropy per output, summed),
    'identity' (half the mean squared error) or 'exp' (Poisson deviance). labels: for softmax,
    the column index of each sample's class (Y is one-hot), which lets the unweighted
    cross-entropy read one probability a row. Unweighted losses take short paths (this runs
    once a batch); they equal the general formulas up to rounding.
    """
    n = P.shape[0]
    if name == "identity":
        if sample_weight is None:
            d = (Y - P).ravel()
            return 0.5 * np.dot(d, d) / d.size
        return 0.5 * _average((Y - P) ** 2, sample_weight).mean()
    if name == "exp":
        return _average(xlogy(Y, Y / P) - Y + P, sample_weight).sum()
    if name == "softmax":
        if labels is not None and sample_weight is None:
            return -np.log(_clip(P[np.arange(n), labels])).sum() / n
        return -_average(xlogy(Y, _clip(P)), sample_weight).sum()
    # logistic: each output is its own two-class problem
    P = _clip(P)
    if sample_weight is None and ((Y == 0) | (Y == 1)).all():
        return -np.log(np.where(Y == 1, P, 1 - P)).sum() / n
    return -_average(xlogy(Y, P) + xlogy(1 - Y, 1 - P), sample_weight).sum()


def _clip_bounds(dtype):
    """The per-sample cross-entropy's bounds once P is clipped to [eps, 1 - eps]."""
    eps = np.finfo(dtype).eps
    return -np.log1p(-eps), -np.log(eps)


CLIP_BOUNDS = {np.dtype(t): _clip_bounds(t) for t in (np.float32, np.float64)}


def labels_suffice(name, labels, sample_weight):
    """Whether loss_and_delta reads only the labels, not Y: unweighted softmax."""
    return sample_weight is None and labels is not None and name == "softmax"


def loss_and_delta(name, Z, Y, sample_weight, labels, scale, delta):
    """The training step's output end: returns the data term of the loss (as `loss` defines
    it) for the output layer's pre-activation Z, and writes into `delta` its derivative with
    respect to Z times `scale`, that is scale * (P - Y), each row also weighted by
    sample_weight when given. Z may be overwritten; Y is not read where labels suffice.

    The two most common pairs take one fused kernel each: softmax with labels and no weights
    (the kernel's log-softmax is clipped as `_clip` clips P) and identity without weights.
    """
    if labels_suffice(name, labels, sample_weight):
        n = Z.shape[0]
        rows = np.empty(n, dtype=Z.dtype)
        _kernels.cross_entropy(Z, labels, -1, 0.0, rows, delta)  # delta = P - Y
        lo, hi = CLIP_BOUNDS[Z.dtype]
        np.minimum(np.maximum(rows, lo, out=rows), hi, out=rows)  # ufuncs: once a batch
        np.multiply(delta, scale, out=delta)
        return _kernels.sum_all(rows) / n
    if sample_weight is None and name == "identity":
        total = _kernels.mse(Z, Y, None, delta)  # delta = 2 (P - Y)
        np.multiply(delta, 0.5 * scale, out=delta)
        return 0.5 * total / Z.size
    P = activate(name, Z)
    value = loss(name, Y, P, sample_weight, labels)
    np.subtract(P, Y, out=delta)
    if sample_weight is not None:
        delta *= sample_weight[:, None]
    np.multiply(delta, scale, out=delta)
    return value
