"""More of torch.nn.functional's losses (re-exported by functional.py): kl_div,
poisson_nll_loss, gaussian_nll_loss, margin_ranking_loss, hinge_embedding_loss,
soft_margin_loss, multilabel_soft_margin_loss, cosine_embedding_loss, triplet_margin_loss.

Each takes PyTorch's arguments, including the deprecated size_average and reduce (which,
when given, decide the reduction as in PyTorch). Shapes are checked before any arithmetic, so
a mismatch raises naming the argument instead of broadcasting silently.
"""
import math
import warnings

import numpy as np

from ..functions import loss as _loss
from ..functions import loss_margin as _margin
from ..tensor import Tensor
from . import _checks


def _legacy_reduction(size_average, reduce, reduction):
    """PyTorch's rule for the deprecated arguments: reduce=False gives 'none', otherwise
    size_average picks 'mean' (the default) or 'sum'."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce are deprecated (as in PyTorch); use reduction",
                  UserWarning, stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _input(x, fn, name="input"):
    """x as a floating Tensor (a NumPy array or list becomes one)."""
    if not isinstance(x, Tensor):
        x = Tensor(np.asarray(x))
    if x.dtype.kind != "f":
        if x.dtype.kind not in "iub":
            raise TypeError(f"{fn}: {name} must be a floating-point tensor, got {x.dtype}")
        x = x.float()
    return x


def _same_shape(t, x, fn, name, x_name="input"):
    """t (a Tensor stays one, so its gradient flows) as x's dtype, with x's exact shape."""
    t = t if isinstance(t, Tensor) else np.asarray(t, dtype=x.dtype)
    if tuple(t.shape) != tuple(x.shape):
        raise ValueError(f"{fn}: {name} shape {tuple(t.shape)} differs from {x_name} shape "
                         f"{tuple(x.shape)}")
    if t.dtype != x.dtype:
        t = t.to(x.dtype) if isinstance(t, Tensor) else t.astype(x.dtype)
    return t


def _labels(y, x, fn, shape):
    """The ±1 labels as a constant array of x's dtype and the given shape."""
    y = np.asarray(y._data if isinstance(y, Tensor) else y)
    if y.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: target must be numeric, got dtype {y.dtype}")
    if y.shape != tuple(shape):
        raise ValueError(f"{fn}: target shape {y.shape} does not match the expected "
                         f"{tuple(shape)}")
    return y.astype(x.dtype)


def _reduction(reduction, fn, allowed=_loss.REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{fn}: reduction must be one of {allowed}, got {reduction!r}")
    return reduction


# ---- likelihood losses ---------------------------------------------------------------------

def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence of target from input, input holding log-probabilities: Σ t (ln t - x)
    (Σ e^t (t - x) with log_target). reduction 'batchmean' divides the sum by the batch size,
    the KL divergence proper; 'mean' divides by every element (torch.nn.functional.kl_div)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _reduction(reduction, "kl_div", _loss.REDUCTIONS + ("batchmean",))
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total by every element, batch and "
                      "classes; 'batchmean' divides by the batch size only, the KL divergence "
                      "proper (PyTorch gives the same warning)", UserWarning, stacklevel=2)
    x = _input(input, "kl_div")
    t = _same_shape(target, x, "kl_div", "target")
    if reduction != "batchmean":
        return _loss.KLDivFunction.apply(x, t, reduction, bool(log_target))
    total = _loss.KLDivFunction.apply(x, t, "sum", bool(log_target))
    return total / x.shape[0] if x.ndim else total


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Poisson negative log-likelihood: e^x - t x (log_input) or x - t ln(x + eps); full adds
    Stirling's approximation of ln(t!) (torch.nn.functional.poisson_nll_loss)."""
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction),
                           "poisson_nll_loss")
    eps = _checks.number(eps, "eps", "poisson_nll_loss")
    x = _input(input, "poisson_nll_loss")
    t = _same_shape(target, x, "poisson_nll_loss", "target")
    return _loss.PoissonNLLFunction.apply(x, t, reduction, bool(log_input), bool(full), eps)


def _var_shape(var, x, fn):
    """var as PyTorch accepts it: input's shape, input's without the last dimension (one
    variance per sample), or input's with one dimension of size 1 (heteroscedastic)."""
    vs, xs = tuple(var.shape), tuple(x.shape)
    if vs == xs:
        return var
    if vs == xs[:-1]:
        return var.unsqueeze(-1) if isinstance(var, Tensor) else var[..., None]
    if len(vs) == len(xs) and sum(v for a, v in zip(xs, vs) if a != v) == 1:
        return var
    raise ValueError(f"{fn}: var of shape {vs} is of incorrect size for input of shape {xs} "
                     "(expected the input's shape, without its last dimension, or with one "
                     "dimension of size 1)")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log-likelihood of target given mean input and variance var:
    ½ (ln v + (x - t)² / v), v = max(var, eps); full adds ½ ln 2π
    (torch.nn.functional.gaussian_nll_loss)."""
    fn = "gaussian_nll_loss"
    _reduction(reduction, fn)
    eps = _checks.number(eps, "eps", fn)
    x = _input(input, fn)
    t = _same_shape(target, x, fn, "target")
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{fn}: var has negative entry/entries ({var})")
        var = np.full(x.shape, var, dtype=x.dtype)
    elif not isinstance(var, Tensor):
        var = np.asarray(var, dtype=x.dtype)
    values = var._data if isinstance(var, Tensor) else var
    if np.any(values < 0):
        raise ValueError(f"{fn}: var has negative entry/entries")
    if var.dtype != x.dtype:
        var = var.to(x.dtype) if isinstance(var, Tensor) else var.astype(x.dtype)
    var = _var_shape(var, x, fn)
    return _loss.GaussianNLLFunction.apply(x, t, var, bool(full), eps, reduction)


# ---- margin and embedding losses -------------------------------------------------------------

def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin) for labels y = ±1 saying which input should rank higher
    (torch.nn.functional.margin_ranking_loss)."""
    fn = "margin_ranking_loss"
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction), fn)
    margin = _checks.number(margin, "margin", fn)
    x1 = _input(input1, fn, "input1")
    x2 = _same_shape(input2, x1, fn, "input2", "input1")
    y = _same_shape(target, x1, fn, "target", "input1")
    return _margin.MarginRankingFunction.apply(x1, x2, y, margin, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1, for x a distance
    (torch.nn.functional.hinge_embedding_loss)."""
    fn = "hinge_embedding_loss"
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction), fn)
    margin = _checks.number(margin, "margin", fn)
    x = _input(input, fn)
    return _margin.HingeEmbeddingFunction.apply(x, _labels(target, x, fn, x.shape), reduction,
                                                margin)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """ln(1 + e^(-y x)) for labels y = ±1, a smooth two-class hinge
    (torch.nn.functional.soft_margin_loss)."""
    fn = "soft_margin_loss"
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction), fn)
    x = _input(input, fn)
    return _margin.SoftMarginFunction.apply(x, _same_shape(target, x, fn, "target"), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Per sample, the mean over classes of the (weighted) binary cross-entropy of the logits
    against 0/1 targets (torch.nn.functional.multilabel_soft_margin_loss)."""
    from .functional import binary_cross_entropy_with_logits
    fn = "multilabel_soft_margin_loss"
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction), fn)
    x = _input(input, fn)
    if x.ndim == 0:
        raise ValueError(f"{fn}: input must have a class dimension, got a 0-d tensor")
    t = _same_shape(target, x, fn, "target")
    if weight is not None:
        w = np.asarray(weight._data if isinstance(weight, Tensor) else weight)
        try:
            np.broadcast_shapes(w.shape, tuple(x.shape))
        except ValueError:
            raise ValueError(f"{fn}: weight of shape {w.shape} does not broadcast to the "
                             f"input shape {tuple(x.shape)}") from None
    per_class = binary_cross_entropy_with_logits(x, t, weight, reduction="none")
    loss = per_class.sum(dim=-1) / x.shape[-1]
    if reduction == "none":
        return loss
    return loss.mean() if reduction == "mean" else loss.sum()


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, per row
    (torch.nn.functional.cosine_embedding_loss). Inputs (N, D) with target (N,), or (D,)
    with a 0-d target."""
    fn = "cosine_embedding_loss"
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction), fn)
    margin = _checks.number(margin, "margin", fn)
    x1 = _input(input1, fn, "input1")
    if x1.ndim not in (1, 2):
        raise ValueError(f"{fn}: input1 must be 1-d (D,) or 2-d (N, D), got shape "
                         f"{tuple(x1.shape)}")
    x2 = _same_shape(input2, x1, fn, "input2", "input1")
    y = _labels(target, x1, fn, x1.shape[:-1])
    return _margin.CosineEmbeddingFunction.apply(x1, x2, y, margin, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with d the p-norm distance of each row
    (pairwise_distance, eps added to the difference); swap uses min(d(a, n), d(p, n))
    (torch.nn.functional.triplet_margin_loss). Inputs (N, D) or (D,)."""
    fn = "triplet_margin_loss"
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction), fn)
    margin = _checks.number(margin, "margin", fn)
    if margin <= 0:
        raise ValueError(f"{fn}: margin must be greater than 0, got {margin}")
    p = _checks.number(p, "p", fn)
    if not (p > 0 and math.isfinite(p)):
        raise ValueError(f"{fn}: p must be a finite number > 0, got {p}")
    eps = _checks.number(eps, "eps", fn)
    a = _input(anchor, fn, "anchor")
    if a.ndim not in (1, 2):
        raise ValueError(f"{fn}: anchor must be 1-d (D,) or 2-d (N, D), got shape "
                         f"{tuple(a.shape)}")
    pos = _same_shape(positive, a, fn, "positive", "anchor")
    neg = _same_shape(negative, a, fn, "negative", "anchor")
    return _margin.TripletMarginFunction.apply(a, pos, neg, margin, p, eps, bool(swap),
                                               reduction)


def _class_indices(target, shape, classes, fn, low=0):
    """Integer class indices of the given shape, each in [low, classes)."""
    y = np.asarray(target._data if isinstance(target, Tensor) else target)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must hold integer class indices, got dtype {y.dtype}")
    if y.shape != tuple(shape):
        raise ValueError(f"{fn}: target shape {y.shape} does not match the expected "
                         f"{tuple(shape)}")
    if y.size and (y.min() < low or y.max() >= classes):
        raise ValueError(f"{fn}: target values must be in [{low}, {classes}), got "
                         f"{int(y.min())}..{int(y.max())}")
    return y.astype(np.int64)


def _rows_of_scores(input, fn):
    x = _input(input, fn)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(f"{fn}: input must be (C,) or (N, C) with C > 0, got shape "
                         f"{tuple(x.shape)}")
    return x


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: per sample Σ_{i≠y} max(0, margin - x[y] + x[i])^p / C,
    weighted by weight[y] (torch.nn.functional.multi_margin_loss); p is 1 or 2."""
    fn = "multi_margin_loss"
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction), fn)
    if p not in (1, 2) or isinstance(p, bool):
        raise ValueError(f"{fn}: only p == 1 and p == 2 are supported, got p={p!r}")
    margin = _checks.number(margin, "margin", fn)
    x = _rows_of_scores(input, fn)
    y = _class_indices(target, x.shape[:-1], x.shape[-1], fn)
    w = None
    if weight is not None:
        w = np.asarray(weight._data if isinstance(weight, Tensor) else weight)
        if w.shape != (x.shape[-1],):
            raise ValueError(f"{fn}: weight must have one entry per class ({x.shape[-1]}), "
                             f"got shape {w.shape}")
        w = w.astype(x.dtype)
    return _margin.MultiMarginFunction.apply(x, y, int(p), margin, w, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: per sample Σ_j Σ_i max(0, 1 - (x[j] - x[i])) / C over the
    target classes j, listed in target up to the first -1, and the others i
    (torch.nn.functional.multilabel_margin_loss)."""
    fn = "multilabel_margin_loss"
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction), fn)
    x = _rows_of_scores(input, fn)
    y = _class_indices(target, x.shape, x.shape[-1], fn, low=-1)
    return _margin.MultiLabelMarginFunction.apply(x, y, reduction)


def _pairwise_distance(x1, x2, eps=1e-6):
    """||x1 - x2 + eps||_2 over the last dimension (PyTorch's pairwise_distance defaults)."""
    return (x1 - x2 + eps).norm(2, dim=-1)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) for any distance function d of two batches
    (default: the Euclidean pairwise distance); swap uses min(d(a, n), d(p, n))
    (torch.nn.functional.triplet_margin_with_distance_loss)."""
    from ..ops_math import minimum
    fn = "triplet_margin_with_distance_loss"
    _reduction(reduction, fn)
    margin = _checks.number(margin, "margin", fn)
    if margin <= 0:
        raise ValueError(f"{fn}: margin must be greater than 0, got {margin}")
    if distance_function is not None and not callable(distance_function):
        raise TypeError(f"{fn}: distance_function must be callable, got "
                        f"{type(distance_function).__name__}")
    a = _input(anchor, fn, "anchor")
    pos, neg = _input(positive, fn, "positive"), _input(negative, fn, "negative")
    if not a.ndim == pos.ndim == neg.ndim:
        raise ValueError(f"{fn}: anchor, positive and negative must have the same number of "
                         f"dimensions, got {a.ndim}, {pos.ndim} and {neg.ndim}")
    distance = distance_function if distance_function is not None else _pairwise_distance
    d_pos, d_neg = distance(a, pos), distance(a, neg)
    if swap:
        d_neg = minimum(d_neg, distance(pos, neg))
    loss = (margin + d_pos - d_neg).clamp(min=0)
    if reduction == "none":
        return loss
    return loss.mean() if reduction == "mean" else loss.sum()


def _lengths(value, n, fn, name):
    """Per-sample lengths (a sequence, array or Tensor of n non-negative integers)."""
    lengths = np.asarray(value._data if isinstance(value, Tensor) else value)
    if lengths.dtype.kind not in "iu":
        raise TypeError(f"{fn}: {name} must hold integers, got dtype {lengths.dtype}")
    lengths = lengths.reshape(-1)
    if lengths.shape != (n,):
        raise ValueError(f"{fn}: {name} must have one entry per sample ({n}), got "
                         f"{lengths.size}")
    if lengths.size and lengths.min() < 0:
        raise ValueError(f"{fn}: {name} must be non-negative, got {int(lengths.min())}")
    return [int(v) for v in lengths]


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Connectionist temporal classification loss (torch.nn.functional.ctc_loss).

    log_probs: (T, N, C) log-probabilities (log_softmax over C), or (T, C) for one sample.
    targets: (N, S) padded label rows, or all targets concatenated in one 1-d array; labels
    are classes other than blank. input_lengths, target_lengths: one length per sample.
    reduction 'mean' divides each loss by its target length, then averages over the batch;
    zero_infinity turns impossible alignments' infinite losses (and gradients) into 0.
    """
    from ..functions.ctc import CTCLossFunction
    fn = "ctc_loss"
    _reduction(reduction, fn)
    lp = _input(log_probs, fn, "log_probs")
    unbatched = lp.ndim == 2
    if lp.ndim not in (2, 3):
        raise ValueError(f"{fn}: log_probs must be (T, N, C) or (T, C), got shape "
                         f"{tuple(lp.shape)}")
    if unbatched:
        lp = lp.unsqueeze(1)
    steps, n, classes = lp.shape
    if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)) \
            or not 0 <= blank < classes:
        raise ValueError(f"{fn}: blank must be a class index in [0, {classes}), got {blank!r}")
    y = np.asarray(targets._data if isinstance(targets, Tensor) else targets)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{fn}: targets must hold integer labels, got dtype {y.dtype}")
    in_lengths = _lengths(input_lengths, n, fn, "input_lengths")
    out_lengths = _lengths(target_lengths, n, fn, "target_lengths")
    if max(in_lengths, default=0) > steps:
        raise ValueError(f"{fn}: input_lengths must be at most the {steps} time steps of "
                         f"log_probs, got {max(in_lengths)}")
    if unbatched:
        y = y.reshape(1, -1)
    if y.ndim == 2:
        if y.shape[0] != n or max(out_lengths, default=0) > y.shape[1]:
            raise ValueError(f"{fn}: targets of shape {y.shape} do not hold {n} rows of the "
                             "target_lengths")
        rows = [y[i, :length] for i, length in enumerate(out_lengths)]
    elif y.ndim == 1:
        if y.size != sum(out_lengths):
            raise ValueError(f"{fn}: concatenated targets hold {y.size} labels but "
                             f"target_lengths sum to {sum(out_lengths)}")
        rows = np.split(y, np.cumsum(out_lengths)[:-1])
    else:
        raise ValueError(f"{fn}: targets must be 1-d (concatenated) or 2-d (padded), got "
                         f"shape {y.shape}")
    for row in rows:
        if row.size and (row.min() < 0 or row.max() >= classes or np.any(row == blank)):
            raise ValueError(f"{fn}: targets must be classes in [0, {classes}) other than "
                             f"blank ({blank})")
    loss = CTCLossFunction.apply(lp, [r.astype(np.int64) for r in rows], in_lengths,
                                 out_lengths, int(blank), reduction, bool(zero_infinity))
    if unbatched and reduction == "none":
        return loss.reshape(())
    return loss


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction="mean", ignore_index=None, label_smoothing=0.0, options=None):
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...)
    (torch.nn.functional.linear_cross_entropy). ignore_index None means -100. options only
    chooses how PyTorch chunks the computation to save memory, so it is accepted and has no
    effect here. K-dimensional weights (C, d1, ..., in_features) are not supported."""
    from .functional import cross_entropy, linear
    fn = "linear_cross_entropy"
    if len(tuple(linear_weight.shape)) != 2:
        raise NotImplementedError(f"{fn}: linear_weight of shape {tuple(linear_weight.shape)}: "
                                  "only (num_classes, in_features) weights are supported "
                                  "(no K-dimensional out_features)")
    logits = linear(input, linear_weight, linear_bias)
    return cross_entropy(logits, target, weight, -100 if ignore_index is None else ignore_index,
                         reduction, label_smoothing)
