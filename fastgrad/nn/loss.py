"""Loss modules: the module forms of the losses in functional.py."""
from typing import TYPE_CHECKING, Any

from . import _checks
from . import functional as F
from .module import Module
from .._engine import cross_entropy_loss as _cross_entropy_loss
from .._engine import mse_loss as _mse_loss
from ..tensor import Tensor


class _Loss(Module):
    def __init__(self, reduction="mean") -> None:
        super().__init__()
        F._check_reduction(reduction)
        self.reduction = reduction

    if TYPE_CHECKING:  # what a loss returns, for type checkers (Module.__call__ says Any)
        def __call__(self, input: Any, target: Any) -> Tensor: ...

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error between input and target, as torch.nn.MSELoss."""
    def forward(self, input, target):
        # The usual arguments go straight to the engine's node (F.mse_loss's first step).
        out = _mse_loss(input, target, self.reduction)
        return out if out is not None else F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error between input and target, as torch.nn.L1Loss."""
    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Squared error below `delta`, linear above it, as torch.nn.HuberLoss."""
    def __init__(self, reduction="mean", delta=1.0) -> None:
        super().__init__(reduction)
        self.delta = _checks.number(delta, "delta", "HuberLoss")
        if not self.delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta}")

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class _WeightedLoss(_Loss):
    """A loss with an optional weight, kept as a buffer as PyTorch does (so it moves with
    .to(dtype) and appears in state_dict under 'weight')."""

    def __init__(self, weight=None, reduction="mean") -> None:
        super().__init__(reduction)
        if weight is not None:
            self.register_buffer("weight", F._data(weight).copy())
        else:
            self.weight = None


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices given log-probabilities, as torch.nn.NLLLoss."""
    def __init__(self, weight=None, ignore_index=-100, reduction="mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of class indices (or probabilities) given logits (torch.nn.CrossEntropyLoss)."""
    def __init__(self, weight=None, ignore_index=-100, reduction="mean",
                 label_smoothing=0.0) -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = _checks.number(label_smoothing, "label_smoothing",
                                              "CrossEntropyLoss")
        if not 0.0 <= self.label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")

    def forward(self, input, target):
        if self.weight is None:  # the usual arguments: the engine's node (F.cross_entropy's)
            out = _cross_entropy_loss(input, target._data if type(target) is Tensor else target,
                                      self.ignore_index, self.label_smoothing, self.reduction)
            if out is not None:
                return out
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities, as torch.nn.BCELoss."""
    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross entropy of logits (sigmoid folded in, stable), as torch.nn.BCEWithLogitsLoss."""
    def __init__(self, weight=None, reduction="mean", pos_weight=None) -> None:
        super().__init__(weight, reduction)
        if pos_weight is not None:
            self.register_buffer("pos_weight", F._data(pos_weight).copy())
        else:
            self.pos_weight = None

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)


class SmoothL1Loss(_Loss):
    """F.smooth_l1_loss as a module (PyTorch's SmoothL1Loss)."""

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = _checks.number(beta, "beta", "SmoothL1Loss")
        if self.beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be non-negative, got {beta}")

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class _LegacyLoss(_Loss):
    """A loss taking PyTorch's deprecated size_average and reduce, which, when given, decide
    the reduction as in PyTorch."""

    def __init__(self, size_average=None, reduce=None, reduction="mean") -> None:
        super().__init__(F._legacy_reduction(size_average, reduce, reduction))


class KLDivLoss(_Loss):
    """KL divergence of target from input (log-probabilities), as torch.nn.KLDivLoss;
    reduction may also be 'batchmean', the KL divergence proper."""

    def __init__(self, size_average=None, reduce=None, reduction="mean",
                 log_target=False) -> None:
        Module.__init__(self)
        reduction = F._legacy_reduction(size_average, reduce, reduction)
        if reduction != "batchmean":
            F._check_reduction(reduction)
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_LegacyLoss):
    """Poisson negative log-likelihood of target given a rate, as torch.nn.PoissonNLLLoss."""

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full = log_input, full
        self.eps = _checks.number(eps, "eps", "PoissonNLLLoss")

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood of target given mean and variance, as
    torch.nn.GaussianNLLLoss; called as loss(input, target, var)."""

    def __init__(self, *, full=False, eps=1e-6, reduction="mean") -> None:
        super().__init__(reduction)
        self.full = full
        self.eps = _checks.number(eps, "eps", "GaussianNLLLoss")

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class MarginRankingLoss(_LegacyLoss):
    """max(0, -y (x1 - x2) + margin), as torch.nn.MarginRankingLoss; called as
    loss(input1, input2, target)."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = _checks.number(margin, "margin", "MarginRankingLoss")

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class HingeEmbeddingLoss(_LegacyLoss):
    """x where y = 1, max(0, margin - x) where y = -1, as torch.nn.HingeEmbeddingLoss."""

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = _checks.number(margin, "margin", "HingeEmbeddingLoss")

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)


class SoftMarginLoss(_LegacyLoss):
    """ln(1 + e^(-y x)) for labels y = ±1, as torch.nn.SoftMarginLoss."""

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Per-sample mean over classes of binary cross-entropy of logits, as
    torch.nn.MultiLabelSoftMarginLoss."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean") -> None:
        super().__init__(weight, F._legacy_reduction(size_average, reduce, reduction))

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class CosineEmbeddingLoss(_LegacyLoss):
    """1 - cos(x1, x2) for y = 1, max(0, cos(x1, x2) - margin) for y = -1, as
    torch.nn.CosineEmbeddingLoss; called as loss(input1, input2, target)."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = _checks.number(margin, "margin", "CosineEmbeddingLoss")

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class TripletMarginLoss(_LegacyLoss):
    """max(0, margin + d(a, p) - d(a, n)) with p-norm distances, as torch.nn.TripletMarginLoss;
    called as loss(anchor, positive, negative)."""

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = _checks.number(margin, "margin", "TripletMarginLoss")
        if self.margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.p = _checks.number(p, "p", "TripletMarginLoss")
        self.eps = _checks.number(eps, "eps", "TripletMarginLoss")
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss on class scores, as torch.nn.MultiMarginLoss (p 1 or 2)."""

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                 reduction="mean") -> None:
        super().__init__(weight, F._legacy_reduction(size_average, reduce, reduction))
        if p not in (1, 2) or isinstance(p, bool):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p!r}")
        self.p = p
        self.margin = _checks.number(margin, "margin", "MultiMarginLoss")

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_LegacyLoss):
    """Multi-label hinge loss, targets listed per sample up to the first -1, as
    torch.nn.MultiLabelMarginLoss."""

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """Triplet margin loss with any distance function, as torch.nn.TripletMarginWithDistanceLoss;
    called as loss(anchor, positive, negative)."""

    def __init__(self, *, distance_function=None, margin=1.0, swap=False,
                 reduction="mean") -> None:
        super().__init__(reduction)
        self.distance_function = distance_function
        self.margin = _checks.number(margin, "margin", "TripletMarginWithDistanceLoss")
        if self.margin <= 0:
            raise ValueError("TripletMarginWithDistanceLoss: margin must be greater than 0, "
                             f"got {margin}")
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class CTCLoss(_Loss):
    """Connectionist temporal classification loss, as torch.nn.CTCLoss; called as
    loss(log_probs, targets, input_lengths, target_lengths)."""

    def __init__(self, blank=0, reduction="mean", zero_infinity=False) -> None:
        super().__init__(reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=self.blank,
                          reduction=self.reduction, zero_infinity=self.zero_infinity)


class LinearCrossEntropyLoss(_WeightedLoss):
    """A Linear layer to class logits followed by cross entropy, as
    torch.nn.LinearCrossEntropyLoss (the layer is self.linear). out_features other than ()
    (K-dimensional logits) are not supported; options (PyTorch's memory chunking) has no
    effect here."""

    def __init__(self, in_features, num_classes, *, out_features=(), bias=False, device=None,
                 dtype=None, reduction="mean", weight=None, ignore_index=None,
                 label_smoothing=0.0, options=None) -> None:
        from .layers import Linear
        if tuple(out_features) != ():
            raise NotImplementedError("LinearCrossEntropyLoss: out_features (K-dimensional "
                                      "logits) is not supported")
        if weight is not None and tuple(F._data(weight).shape) != (num_classes,):
            raise ValueError(f"LinearCrossEntropyLoss: weight must have shape "
                             f"({num_classes},), got {tuple(F._data(weight).shape)}")
        label_smoothing = _checks.number(label_smoothing, "label_smoothing",
                                         "LinearCrossEntropyLoss")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"LinearCrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing}")
        super().__init__(weight, reduction)
        self.num_classes = num_classes
        self.out_features = tuple(out_features)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.options = options
        self.linear = Linear(in_features, num_classes, bias=bias)
        if dtype is not None:
            self.linear.to(dtype)

    def forward(self, input, target):
        return F.linear_cross_entropy(input, self.linear.weight, target,
                                      linear_bias=self.linear.bias, weight=self.weight,
                                      reduction=self.reduction, ignore_index=self.ignore_index,
                                      label_smoothing=self.label_smoothing)


class NLLLoss2d(NLLLoss):
    """PyTorch's deprecated name of NLLLoss for (N, C, H, W) inputs; warns as PyTorch does."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean") -> None:
        import warnings
        warnings.warn("NLLLoss2d has been deprecated. Please use NLLLoss instead as a drop-in "
                      "replacement", FutureWarning, stacklevel=2)
        super().__init__(weight, ignore_index, F._legacy_reduction(size_average, reduce,
                                                                    reduction))
