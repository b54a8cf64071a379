"""torch.nn.functional's names over fastgrad's Functions: argument checking and dispatch only.

The Functions they apply (forward beside derivative) live in fastgrad/functions/.
"""
import warnings

import numpy as np

from .. import _kernels
from ..random import generator
from ..tensor import Tensor
from ..functions import activation as _act
from ..functions import loss as _loss
from .._engine import cross_entropy_loss as _cross_entropy_loss
from .._engine import dense_layer
from .._engine import mse_loss as _mse_loss
from ..functions.dense import ACT
from ..functions.normalization import BatchNormFunction, LayerNormFunction
from . import _checks

_check_reduction = _loss.check_reduction
_INT64_MIN, _INT64_MAX = -2 ** 63, 2 ** 63 - 1


def _data(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)




# ---- the dense layer ----------------------------------------------------------------------------

def linear(input, weight, bias=None):
    """y = x W^T + b, with W of shape (out_features, in_features) as in PyTorch."""
    return _dense(input, weight, bias, _NONE, 0.0)


def dense(input, weight, bias=None, activation="none", param=0.0):
    """linear followed by an activation, fused into one graph node and one C call each way."""
    if activation not in ACT:
        raise ValueError(f"dense: activation must be one of {sorted(ACT)}, got {activation!r}")
    return _dense(input, weight, bias, ACT[activation], float(param))


_NONE = ACT["none"]
# dense by the activation's code: on the output of a dense-stack node (a Linear's, or an
# activation's of one) the layer joins that node (_engine.dense_layer, dense_extend_linear), so
# a custom Module's chain of layers is one node, as a Sequential's is. Compiled, as every layer
# of every step comes here.
_dense = dense_layer


# ---- activations --------------------------------------------------------------------------------

def relu(input, inplace=False):
    """max(0, x) elementwise (`inplace` is accepted and ignored), as torch.nn.functional.relu."""
    return _act.elementwise(input, "relu")


def tanh(input):
    """tanh(x) elementwise."""
    return _act.elementwise(input, "tanh")


def sigmoid(input):
    """1 / (1 + exp(-x)) elementwise."""
    return _act.elementwise(input, "sigmoid")


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x."""
    return _act.elementwise(_tensor(input), "leaky_relu",
                            _checks.number(negative_slope, "negative_slope", "leaky_relu"))


def gelu(input, approximate="none"):
    """x * Phi(x); approximate="tanh" uses the tanh formula, as torch.nn.functional.gelu."""
    approximate = _checks.gelu_approximate(approximate, "gelu")
    return _act.elementwise(input, "gelu" if approximate == "none" else "gelu_tanh")


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, else alpha * (exp(x) - 1)."""
    return _act.elementwise(_tensor(input), "elu", _checks.number(alpha, "alpha", "elu"))


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    return _act.elementwise(input, "silu")


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold."""
    beta = _checks.softplus_beta(beta, "softplus")
    threshold = _checks.number(threshold, "threshold", "softplus")
    return _act.SoftplusFunction.apply(_tensor(input), beta, threshold)


def _softmax_dim(x, dim, fn):
    if dim is None:
        warnings.warn(f"{fn}: implicit dimension choice is deprecated (as in PyTorch); "
                      "pass dim explicitly", UserWarning, stacklevel=3)
        return _act.legacy_softmax_dim(x.ndim)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}: dim must be an int, got {type(dim).__name__}")
    return int(dim)


def softmax(input, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along `dim`."""
    x = _tensor(input)
    x = x.to(dtype) if dtype is not None else x
    return _act.SoftmaxFunction.apply(x, _softmax_dim(x, dim, "softmax"), False)


def log_softmax(input, dim=None, dtype=None):
    """log(softmax(x)) along `dim`, computed stably."""
    x = _tensor(input)
    x = x.to(dtype) if dtype is not None else x
    return _act.SoftmaxFunction.apply(x, _softmax_dim(x, dim, "log_softmax"), True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6) elementwise, as torch.nn.functional.relu6."""
    return _act.elementwise(input, "relu6")


def selu(input, inplace=False):
    """scale * (x if x > 0 else alpha * (exp(x) - 1)) with PyTorch's fixed alpha and scale."""
    return _act.elementwise(input, "selu")


def celu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x / alpha) - 1), as torch.nn.functional.celu."""
    return _act.elementwise(_tensor(input), "celu", _checks.celu_alpha(alpha, "celu"))


def mish(input, inplace=False):
    """x * tanh(softplus(x)), as torch.nn.functional.mish."""
    return _act.elementwise(input, "mish")


def softsign(input):
    """x / (1 + |x|), as torch.nn.functional.softsign."""
    return _act.elementwise(input, "softsign")


def hardsigmoid(input, inplace=False):
    """min(max(x + 3, 0), 6) / 6, as torch.nn.functional.hardsigmoid."""
    return _act.elementwise(input, "hardsigmoid")


def hardswish(input, inplace=False):
    """x * hardsigmoid(x), as torch.nn.functional.hardswish."""
    return _act.elementwise(input, "hardswish")


def logsigmoid(input):
    """log(sigmoid(x)), computed stably, as torch.nn.functional.logsigmoid."""
    return _act.elementwise(input, "logsigmoid")


def tanhshrink(input):
    """x - tanh(x), as torch.nn.functional.tanhshrink."""
    return _act.elementwise(input, "tanhshrink")


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """min(max(x, min_val), max_val) elementwise, as torch.nn.functional.hardtanh."""
    lo, hi = _checks.hardtanh_bounds(min_val, max_val, "hardtanh")
    return _act.HardtanhFunction.apply(_float_input(input), lo, hi)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value, as torch.nn.functional.threshold."""
    th = _checks.number(threshold, "threshold", "threshold")
    return _act.ThresholdFunction.apply(_tensor(input), th,
                                        _checks.number(value, "value", "threshold"))


def prelu(input, weight):
    """x where x > 0, else weight * x, with one slope per channel (axis 1) or one for all, as
    torch.nn.functional.prelu; the gradient reaches weight too."""
    x = _float_input(input)
    if not isinstance(weight, (Tensor, np.ndarray)):
        raise TypeError(f"prelu: weight must be a Tensor, got {type(weight).__name__}")
    count = int(np.size(_data(weight)))
    channels = x.shape[1] if x.ndim >= 2 else 1
    if count != 1 and count != channels:
        raise ValueError(f"prelu: weight has {count} elements but the input of shape "
                         f"{tuple(x.shape)} has {channels} channels (axis 1); expected 1 or "
                         f"{channels}")
    return _act.PReLUFunction.apply(x, weight)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along `dim`, as torch.nn.functional.softmin."""
    x = _tensor(input)
    x = x.to(dtype) if dtype is not None else x
    return _act.SoftmaxFunction.apply(-x, _softmax_dim(x, dim, "softmin"), False)


def _shrink_mask(x, lambd):
    """Where |x| > lambd, as PyTorch tests it (not inside [-lambd, lambd], so NaN counts)."""
    data = x._data
    return ~((data >= -lambd) & (data <= lambd))


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0, as torch.nn.functional.hardshrink."""
    x = _float_input(input)
    keep = _shrink_mask(x, _checks.number(lambd, "lambd", "hardshrink"))
    return x * keep.astype(x.dtype)


def softshrink(input, lambd=0.5):
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0, as
    torch.nn.functional.softshrink; lambd must be >= 0."""
    lambd = _checks.number(lambd, "lambd", "softshrink")
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be greater or equal to 0, got {lambd}")
    x = _float_input(input)
    keep = _shrink_mask(x, lambd)
    shift = np.where(x._data > 0, -lambd, lambd).astype(x.dtype)
    return (x + shift) * keep.astype(x.dtype)


def glu(input, dim=-1):
    """a * sigmoid(b), a and b the two halves of input along dim, as
    torch.nn.functional.glu."""
    x = _float_input(input)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"glu: dim must be an int, got {type(dim).__name__}")
    if x.ndim == 0 or not -x.ndim <= dim < x.ndim:
        raise IndexError(f"glu: dim {dim} is out of range for input shape {tuple(x.shape)}")
    d = dim % x.ndim
    n = x.shape[d]
    if n % 2:
        raise ValueError(f"glu: halving dimension {dim} needs an even size, got {n}")
    first = (slice(None),) * d + (slice(0, n // 2),)
    second = (slice(None),) * d + (slice(n // 2, n),)
    return x[first] * sigmoid(x[second])


# ---- losses -------------------------------------------------------------------------------------

def _float_input(input):
    x = _tensor(input)
    return x if x.dtype.kind == "f" else x.float()


def _like(target, x, fn):
    """target as a Tensor of x's shape and dtype; a shape mismatch raises (broadcasting them is
    almost always a bug)."""
    # A NumPy target stays an array: a constant needs no graph node.
    t = target if isinstance(target, Tensor) else np.asarray(target, dtype=x.dtype)
    if t.shape != x.shape:
        raise ValueError(f"{fn}: input shape {x.shape} and target shape {t.shape} differ "
                         "(broadcasting them is almost always a bug; reshape one explicitly)")
    return t if t.dtype == x.dtype else t.to(x.dtype)


def _constant(value, x, fn, name):
    """An optional per-class or per-element weight as a NumPy array of x's dtype."""
    if value is None:
        return None
    w = _data(value)
    if w.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: {name} must be numeric, got dtype {w.dtype}")
    w = w.astype(x.dtype)
    try:
        np.broadcast_shapes(w.shape, x.shape)
    except ValueError:
        raise ValueError(f"{fn}: {name} of shape {w.shape} does not broadcast to the input "
                         f"shape {x.shape}") from None
    return w


def mse_loss(input, target, reduction="mean"):
    """Squared error, reduced by `reduction` ("mean", "sum" or "none")."""
    out = _mse_loss(input, target, reduction)  # a Tensor and a target of its dtype and shape
    if out is not None:
        return out
    _check_reduction(reduction)
    x = _float_input(input)
    return _loss.MSEFunction.apply(x, _like(target, x, "mse_loss"), reduction)


def l1_loss(input, target, reduction="mean"):
    """Absolute error, reduced by `reduction` ("mean", "sum" or "none")."""
    _check_reduction(reduction)
    x = _float_input(input)
    return _loss.L1Function.apply(x, _like(target, x, "l1_loss"), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Squared error below `delta`, linear above it, reduced by `reduction`."""
    _check_reduction(reduction)
    delta = _checks.number(delta, "delta", "huber_loss")
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x = _float_input(input)
    return _loss.HuberFunction.apply(x, _like(target, x, "huber_loss"), reduction, delta)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-(t log p + (1 - t) log(1 - p)) with optional `weight`, reduced by `reduction`."""
    _check_reduction(reduction)
    x = _float_input(input)
    t = _like(target, x, "binary_cross_entropy")
    outside = (x._data < 0) | (x._data > 1)  # NaN is neither, so it propagates
    if np.any(outside):
        raise ValueError("binary_cross_entropy: every input element must be in [0, 1] (a "
                         f"probability), got {x._data[outside].flat[0]}; for logits use "
                         "binary_cross_entropy_with_logits")
    w = _constant(weight, x, "binary_cross_entropy", "weight")
    return _loss.BCEFunction.apply(x, t, reduction, w)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """binary_cross_entropy of sigmoid(input), computed stably; pos_weight weighs positives."""
    _check_reduction(reduction)
    x = _float_input(input)
    t = _like(target, x, "binary_cross_entropy_with_logits")
    w = _constant(weight, x, "binary_cross_entropy_with_logits", "weight")
    pw = _constant(pos_weight, x, "binary_cross_entropy_with_logits", "pos_weight")
    return _loss.BCEWithLogitsFunction.apply(x, t, reduction, w, pw)


def _class_targets(target, n, name):
    t = _data(target)
    if t.dtype.kind == "f":
        if not np.all(np.isfinite(t)) or np.any(t != np.round(t)):
            raise TypeError(f"{name}: class targets must be integers, got {t.dtype} values")
    elif t.dtype.kind not in "iub":
        raise TypeError(f"{name}: class targets must be integers, got dtype {t.dtype}")
    elif t.dtype.kind == "u" and t.size and t.max() > np.iinfo(np.int64).max:
        # would wrap to a negative int64, possibly to ignore_index, and vanish silently
        raise IndexError(f"{name}: class target {t.max()} is out of range")
    t = np.ascontiguousarray(t, dtype=np.int64).reshape(-1) if t.ndim <= 1 else t
    if t.ndim != 1 or t.shape[0] != n:
        raise ValueError(f"{name}: target shape {_data(target).shape} does not match a batch of "
                         f"{n} (input has {n} rows)")
    return t


def _ignore_index(value, name):
    """ignore_index as a Python int: an integer (not a bool or a float, as in PyTorch) that
    fits int64, where the labels are compared with it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: ignore_index must be an int, got {type(value).__name__} "
                        f"{value!r}")
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"{name}: ignore_index={int(value)} does not fit in int64")
    return int(value)


def _check_labels(t, classes, ignore_index, name):
    bad = (t != ignore_index) & ((t < 0) | (t >= classes))
    if np.any(bad):
        i = int(np.argmax(bad))
        raise IndexError(f"{name}: target[{i}] = {t[i]} is out of range for {classes} classes "
                         f"(expected 0 <= target < {classes} or target == ignore_index "
                         f"= {ignore_index})")


def _class_weight(weight, classes, dtype, name):
    if weight is None:
        return None
    w = _data(weight)
    if w.shape != (classes,):
        raise ValueError(f"{name}: weight has shape {w.shape}, expected ({classes},): one "
                         "weight per class")
    return np.ascontiguousarray(w, dtype=dtype)


def _rows_of_classes(x, target, name, soft):
    """(N, C, d1, ...) input and (N, d1, ...) target (or a soft target of x's shape) as
    (N*d1*..., C) rows, with the shape 'none' reduction must restore. 1-d input is one
    sample."""
    if x.ndim == 1:
        return x.reshape(1, -1), np.reshape(_data(target), (1, -1) if soft else (1,)), ()
    if x.ndim == 2:
        return x, target, (x.shape[0],)
    t = _data(target)
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    out_shape = (x.shape[0],) + x.shape[2:]
    rows = x.permute(*perm).reshape(-1, x.shape[1])
    if soft:
        return rows, np.transpose(t, perm).reshape(-1, x.shape[1]), out_shape
    if t.shape != out_shape:
        raise ValueError(f"{name}: target shape {t.shape} does not match input shape {x.shape} "
                         f"(expected {out_shape})")
    return rows, t.reshape(-1), out_shape


def _restore(out, reduction, shape):
    return out.reshape(shape) if reduction == "none" else out


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities `input` at integer class targets."""
    _check_reduction(reduction)
    if not isinstance(_data(input), np.ndarray) or _data(input).ndim == 0:
        raise ValueError(f"nll_loss: input must have a class dimension, got shape "
                         f"{np.shape(_data(input))}")
    x, t, shape = _rows_of_classes(_float_input(input), target, "nll_loss", False)
    t = _class_targets(t, x.shape[0], "nll_loss")
    ignore_index = _ignore_index(ignore_index, "nll_loss")
    _check_labels(t, x.shape[1], ignore_index, "nll_loss")
    w = _class_weight(weight, x.shape[1], x.dtype, "nll_loss")
    out = _loss.NLLFunction.apply(x, t, w, ignore_index, reduction)
    return _restore(out, reduction, shape)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy between softmax(input) and class targets: integer class indices, or
    class probabilities (a float target of the input's shape), as in PyTorch."""
    if weight is None:
        # A batch of rows and its int64 class indices (an array or a Tensor), as a training
        # step passes them: the binding checks the rest (each label a class or ignore_index,
        # label_smoothing in [0, 1]) with the messages the checks below give.
        out = _cross_entropy_loss(input, target._data if type(target) is Tensor else target,
                                  ignore_index, label_smoothing, reduction)
        if out is not None:
            return out
    _check_reduction(reduction)
    eps = _checks.number(label_smoothing, "label_smoothing", "cross_entropy")
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    x0 = _float_input(input)
    if x0.ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension, got a 0-d tensor")
    soft = _data(target).dtype.kind == "f" and np.shape(_data(target)) == x0.shape
    x, t, shape = _rows_of_classes(x0, target, "cross_entropy", soft)
    n, classes = x.shape
    if classes == 0:
        raise ValueError("cross_entropy: input has no classes (its class dimension is 0)")
    w = _class_weight(weight, classes, x.dtype, "cross_entropy")
    if soft:  # class probabilities: smoothed toward uniform, 'mean' divides by the rows
        q = np.asarray(t, dtype=x.dtype) * (1 - eps) + eps / classes
        a = q * w if w is not None else q
        out = _loss.SoftTargetCrossEntropyFunction.apply(x, a, n, reduction, False)
        return _restore(out, reduction, shape)
    t = _class_targets(t, n, "cross_entropy")
    ignore_index = _ignore_index(ignore_index, "cross_entropy")
    if w is None:  # the fused C path
        out = _loss.CrossEntropyFunction.apply(x, t, ignore_index, eps, reduction)
        return _restore(out, reduction, shape)
    _check_labels(t, classes, ignore_index, "cross_entropy")
    # PyTorch: (1 - eps) * weighted NLL + eps / C * sum_c w_c (-log p_c) per row; 'mean'
    # divides both by the summed weights of the counted targets.
    keep = t != ignore_index
    rows = np.nonzero(keep)[0]
    a = np.zeros(x.shape, dtype=x.dtype)
    a[rows] = (eps / classes) * w
    a[rows, t[keep]] += (1 - eps) * w[t[keep]]
    denominator = float(_kernels.sum_all(np.ascontiguousarray(w[t[keep]]))) if rows.size else 0.0
    out = _loss.SoftTargetCrossEntropyFunction.apply(x, a, denominator, reduction, True)
    return _restore(out, reduction, shape)


# ---- normalisation and dropout ------------------------------------------------------------------

def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dimensions, then scale and shift."""
    x = _float_input(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k:]) != shape:
        raise ValueError(f"layer_norm: input shape {x.shape} does not end in normalized_shape "
                         f"{shape}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise ValueError(f"layer_norm: {name} shape {tuple(p.shape)} does not match "
                             f"normalized_shape {shape}")
    return LayerNormFunction.apply(x, weight, bias, shape, float(eps))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over axis 1 of (N, C) or (N, C, L) input. training: batch
    statistics, and running_mean / running_var (NumPy arrays, may be None) updated in place."""
    x = _float_input(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C, ...), got shape {x.shape}")
    c = x.shape[1]
    for name, p in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if p is not None and tuple(np.shape(_data(p))) != (c,):
            raise ValueError(f"batch_norm: {name} shape {tuple(np.shape(_data(p)))} does not "
                             f"match the {c} channels of input shape {x.shape}")
    if training and x.numel() // max(c, 1) <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                         f"got input shape {x.shape}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: running_mean and running_var are needed when not training")
    rm = _data(running_mean) if running_mean is not None else None
    rv = _data(running_var) if running_var is not None else None
    return BatchNormFunction.apply(x, weight, bias, rm, rv, float(momentum), float(eps),
                                   bool(training))


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability p (mask from fastgrad.random.generator(), so
    fg.manual_seed repeats it) and scales the rest by 1/(1-p); identity when not training."""
    p = _checks.number(p, "p", "dropout")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    x = _tensor(input)
    if not training or p == 0.0:
        return x
    keep = generator().random(x.shape) >= p
    scale = x.dtype.type(1.0 / (1.0 - p)) if p < 1.0 else x.dtype.type(0.0)
    return x * (keep.astype(x.dtype) * scale)


from .functional_parity import one_hot, smooth_l1_loss  # noqa: E402,F401
from .functional_losses import _legacy_reduction  # noqa: E402,F401
from .functional_losses import (cosine_embedding_loss, gaussian_nll_loss,  # noqa: E402,F401
                                hinge_embedding_loss, kl_div, margin_ranking_loss,
                                multilabel_soft_margin_loss, poisson_nll_loss, soft_margin_loss,
                                triplet_margin_loss)
from .functional_losses import (multi_margin_loss, multilabel_margin_loss,  # noqa: E402,F401
                                triplet_margin_with_distance_loss)
from .functional_losses import ctc_loss, linear_cross_entropy  # noqa: E402,F401
from .functional_layers import (bilinear, cosine_similarity, embedding,  # noqa: E402,F401
                                group_norm, normalize, pad, pairwise_distance, rms_norm)
