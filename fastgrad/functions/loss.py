"""Loss Functions, each forward beside its local derivative.

Softmax cross-entropy with plain class targets (_kernels.cross_entropy, one pass per row) and
MSE (_kernels.mse) are fused C passes: each writes the local derivative beside the loss and
returns the loss summed, so their backward only scales. The other losses are NumPy: they are a
handful of elementwise operations (or a gather, for NLL) that NumPy already runs as vectorised
C loops, and a C kernel would save only temporaries, not passes. Every reduction accumulates in
double in _kernels.sum_all's fixed order, so results are reproducible run to run.
"""
import numpy as np

from .. import _engine, _kernels
from ..autograd import ArrayFunction as Function
from ._arrays import float_contiguous

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(loss, reduction, count):
    """loss reduced as asked; count is the 'mean' denominator (0 gives NaN, as PyTorch)."""
    if reduction == "none":
        return loss
    return _total(_kernels.sum_all(np.ascontiguousarray(loss)), reduction, count, loss.dtype)


def _total(total, reduction, count, dtype):
    """A loss already summed (a Python float, from a C kernel) as the 0-d result of 'sum' or
    'mean'; rounded to dtype once, after the division."""
    if reduction == "mean":
        total = total / count if count else np.nan
    return np.array(total, dtype=dtype)


def _scale(g, reduction, count, dtype):
    """The factor the upstream gradient contributes to each element's local derivative."""
    if reduction == "none":
        return g.astype(dtype, copy=False)
    if reduction == "sum":
        return dtype.type(g)
    if not count:
        # Nothing counted (every row ignored, or an empty batch): each element's gradient is
        # 0, as PyTorch gives, not 0 * (g / 0) = NaN.
        return dtype.type(0)
    # g / count as NumPy rounds it for a 0-d g (count to g's dtype, then a correctly rounded
    # division), in Python floats, which costs a fifth: the double quotient of two float32
    # values rounds to the float32 one (53 >= 2 * 24 + 2 bits). count is a weight sum for NLL.
    return dtype.type(float(g) / float(g.dtype.type(count)))


# ---- softmax cross-entropy ----------------------------------------------------------------------

class CrossEntropyFunction(Function):
    """Softmax and negative log-likelihood fused in one C pass per row, for plain class targets:
    apply(logits, target, ignore_index, label_smoothing, reduction).

    The kernel writes each row's loss and its derivative softmax(x) - q (q the target
    distribution) together, and returns their sum and the rows counted, so backward only
    scales: by g/count for 'mean', g for 'sum', g[i] per row for 'none'. The binding checks
    the targets (int64, one per row, each a class or ignore_index) and label_smoothing.
    forward and backward are the engine's compiled loss node (_engine.pyx, "the loss node").
    """

    forward = staticmethod(_engine.cross_entropy_forward)
    backward = staticmethod(_engine.cross_entropy_backward)


class SoftTargetCrossEntropyFunction(Function):
    """loss_i = -sum_c a_ic log softmax(x_i)_c for per-class coefficients a (rows: weighted,
    smoothed one-hot targets, or weighted class probabilities).

    Derivative: d loss_i / d x_ij = softmax(x_i)_j * sum_c a_ic - a_ij. log-softmax is the C
    kernel. `skip_zero` leaves classes with a_ic = 0 out of the sum (a gathered NLL never reads
    them, so a -inf logit there must not turn 0 * -inf into NaN).
    """

    @staticmethod
    def forward(ctx, logits, a, denominator, reduction, skip_zero):
        x = float_contiguous(logits)
        logp = np.empty_like(x)
        _kernels.softmax_forward(x, logp, -1, True)
        terms = a * logp
        if skip_zero:
            terms[a == 0] = 0
        loss = -terms.sum(axis=1)
        ctx.save_for_backward(logp, a)
        ctx.reduction, ctx.count = reduction, denominator
        return _reduce(loss, reduction, denominator)

    @staticmethod
    def backward(ctx, g):
        logp, a = ctx.saved_tensors
        dx = np.exp(logp) * a.sum(axis=1, keepdims=True) - a
        s = _scale(g, ctx.reduction, ctx.count, dx.dtype)
        return dx * (s[:, None] if ctx.reduction == "none" else s)


class NLLFunction(Function):
    """loss_i = -w[t_i] x[i, t_i] (0 where t_i == ignore_index); 'mean' divides by the sum of
    the weights of the counted rows. Derivative: -w[t_i] at (i, t_i), 0 elsewhere."""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        keep = target != ignore_index
        rows = np.nonzero(keep)[0]
        cols = target[keep]
        w = weight[cols] if weight is not None else np.ones(cols.shape, x.dtype)
        loss = np.zeros(x.shape[0], dtype=x.dtype)
        loss[rows] = -w * x[rows, cols]
        ctx.rows, ctx.cols, ctx.w, ctx.shape = rows, cols, w, x.shape
        ctx.reduction = reduction
        ctx.count = float(_kernels.sum_all(np.ascontiguousarray(w))) if w.size else 0.0
        return _reduce(loss, reduction, ctx.count)

    @staticmethod
    def backward(ctx, g):
        dx = np.zeros(ctx.shape, dtype=ctx.w.dtype)
        s = _scale(g, ctx.reduction, ctx.count, dx.dtype)
        dx[ctx.rows, ctx.cols] = -ctx.w * (s[ctx.rows] if ctx.reduction == "none" else s)
        return dx


# ---- elementwise losses -------------------------------------------------------------------------

class ElementwiseLossFunction(Function):
    """A loss computed element by element from input and target, reduced over all elements.

    Subclasses define `terms(x, t, need_dt, *extra)` -> (loss, d loss/dx, d loss/dt or None);
    backward scales those local derivatives by the upstream gradient.
    """

    @staticmethod
    def terms(x, t, need_dt, *extra):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, x, t, reduction, *extra):
        loss, dx, dt = cls.terms(x, t, ctx.needs_input_grad[1], *extra)
        ctx.dx, ctx.dt, ctx.reduction = dx, dt, reduction
        return _reduce(loss, reduction, loss.size)

    @staticmethod
    def backward(ctx, g):
        s = _scale(g, ctx.reduction, ctx.dx.size, ctx.dx.dtype)
        return ctx.dx * s, (ctx.dt * s if ctx.dt is not None else None)


class MSEFunction(Function):
    """(x - t)^2: derivative 2 (x - t), and its negative for t: apply(x, t, reduction).

    One C pass writes the derivative and sums the squares (writing them out only for 'none'),
    so backward only scales. Not an ElementwiseLossFunction: the derivative for t is the one
    for x negated, so it is never stored. forward and backward are the engine's compiled loss
    node (_engine.pyx, "the loss node").
    """

    forward = staticmethod(_engine.mse_forward)
    backward = staticmethod(_engine.mse_backward)


class L1Function(ElementwiseLossFunction):
    """|x - t|: derivative sign(x - t) (0 at 0, as PyTorch), and its negative for t."""

    @staticmethod
    def terms(x, t, need_dt):
        diff = x - t
        dx = np.sign(diff)
        return np.abs(diff), dx, (-dx if need_dt else None)


class HuberFunction(ElementwiseLossFunction):
    """0.5 d^2 where |d| <= delta, else delta (|d| - delta/2), d = x - t; derivative
    d clipped to [-delta, delta]."""

    @staticmethod
    def terms(x, t, need_dt, delta):
        d = x - t
        ad = np.abs(d)
        delta = x.dtype.type(delta)
        loss = np.where(ad <= delta, 0.5 * d * d, delta * (ad - 0.5 * delta)).astype(x.dtype)
        dx = np.clip(d, -delta, delta)
        return loss, dx, (-dx if need_dt else None)


class BCEFunction(ElementwiseLossFunction):
    """-w (t log x + (1 - t) log(1 - x)) with each log clamped at -100, as PyTorch does, so
    x = 0 or 1 gives a finite loss. Derivative w (x - t) / max(x (1 - x), 1e-12) (PyTorch's
    EPSILON); for t: w (log(1 - x) - log x), both logs clamped."""

    @staticmethod
    def terms(x, t, need_dt, weight):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        loss = -(t * log_x + (1 - t) * log_1mx)
        dx = (x - t) / np.maximum(x * (1 - x), x.dtype.type(1e-12))
        dt = (log_1mx - log_x) if need_dt else None
        if weight is not None:
            loss, dx = loss * weight, dx * weight
            dt = dt * weight if dt is not None else None
        return loss, dx, dt


class BCEWithLogitsFunction(ElementwiseLossFunction):
    """Sigmoid and binary cross-entropy in one, stable for any logit x:
    loss = (1 - t) x + lw softplus(-x), lw = 1 + (pos_weight - 1) t, with
    softplus(-x) = max(-x, 0) + log1p(exp(-|x|)) (no overflow, no cancellation).
    Derivative: (1 - t) - lw sigmoid(-x); for t: -x + (pos_weight - 1) softplus(-x)."""

    @staticmethod
    def terms(x, t, need_dt, weight, pos_weight):
        sp_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        e = np.exp(-np.abs(x))
        sig_neg = np.where(x >= 0, e, 1) / (1 + e)  # sigmoid(-x) without overflow
        lw = 1 + (pos_weight - 1) * t if pos_weight is not None else 1
        loss = (1 - t) * x + lw * sp_neg
        dx = (1 - t) - lw * sig_neg
        dt = None
        if need_dt:
            dt = -x + ((pos_weight - 1) * sp_neg if pos_weight is not None else 0)
        if weight is not None:
            loss, dx = loss * weight, dx * weight
            dt = dt * weight if dt is not None else None
        return (loss.astype(x.dtype), np.asarray(dx, x.dtype),
                (np.asarray(dt, x.dtype) if dt is not None else None))


# ---- likelihood losses: KL divergence, Poisson and Gaussian negative log-likelihoods ----------

class KLDivFunction(ElementwiseLossFunction):
    """Pointwise KL divergence of target from input, input holding log-probabilities:
    t (ln t - x), 0 where t = 0 (PyTorch's xlogy); with log_target, e^t (t - x).
    Derivative: -t (-e^t with log_target); for t: ln t + 1 - x (e^t (t - x + 1))."""

    @staticmethod
    def terms(x, t, need_dt, log_target):
        if log_target:
            et = np.exp(t)
            loss = et * (t - x)
            return loss, -et, (loss + et if need_dt else None)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_t = np.log(t)
            loss = np.where(t == 0, 0, t * log_t) - t * x
            dt = (log_t + 1 - x) if need_dt else None
        return loss.astype(x.dtype, copy=False), -t, dt


class PoissonNLLFunction(ElementwiseLossFunction):
    """Poisson negative log-likelihood of target given the rate: e^x - t x with log_input,
    else x - t ln(x + eps); with full, plus Stirling's t ln t - t + ½ ln(2πt) where t > 1.
    Derivative: e^x - t (1 - t/(x + eps)); for t: -x (-ln(x + eps)), + ln t + 1/(2t) (full)."""

    @staticmethod
    def terms(x, t, need_dt, log_input, full, eps):
        if log_input:
            loss, dx = np.exp(x) - t * x, np.exp(x) - t
            dt = -x if need_dt else None
        else:
            log_rate = np.log(x + eps)
            loss, dx = x - t * log_rate, 1 - t / (x + eps)
            dt = -log_rate if need_dt else None
        if full:
            counted = t > 1
            with np.errstate(divide="ignore", invalid="ignore"):
                log_t = np.log(t)
                stirling = t * log_t - t + 0.5 * np.log(2 * np.pi * t)
                loss = loss + np.where(counted, stirling, 0).astype(x.dtype)
                if need_dt:
                    dt = dt + np.where(counted, log_t + 0.5 / t, 0).astype(x.dtype)
        return loss, dx, dt


def _sum_to(g, shape):
    """g summed down to `shape`: the derivative of NumPy broadcasting."""
    if g.shape == tuple(shape):
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1)
    return (g.sum(axis=axes, keepdims=True) if axes else g).reshape(shape)


class GaussianNLLFunction(Function):
    """½ (ln v + (x - t)² / v) (+ ½ ln 2π with full), v = max(var, eps) broadcast to x.

    As in PyTorch the clamp to eps is not differentiated: var's gradient is taken at v.
    Derivative: (x - t)/v; for t: -(x - t)/v; for var: ½ (1/v - (x - t)²/v²).
    """

    @staticmethod
    def forward(ctx, x, t, var, full, eps, reduction):
        v = np.maximum(var, x.dtype.type(eps))
        d = x - t
        loss = 0.5 * (np.log(v) + d ** 2 / v)
        if full:
            loss = loss + x.dtype.type(0.5 * np.log(2 * np.pi))
        ctx.save_for_backward(d, v)
        ctx.shapes, ctx.reduction, ctx.count = (x.shape, t.shape, var.shape), reduction, loss.size
        return _reduce(loss, reduction, loss.size)

    @staticmethod
    def backward(ctx, g):
        d, v = ctx.saved_tensors
        s = _scale(g, ctx.reduction, ctx.count, d.dtype)
        dx = d / v * s
        dvar = 0.5 * (1 / v - d ** 2 / v ** 2) * s
        x_shape, t_shape, var_shape = ctx.shapes
        return (_sum_to(dx, x_shape),
                _sum_to(-dx, t_shape) if ctx.needs_input_grad[1] else None,
                _sum_to(dvar, var_shape) if ctx.needs_input_grad[2] else None)


_engine.register_losses(MSEFunction, CrossEntropyFunction)
