"""Connectionist temporal classification loss (PyTorch's ctc_loss), forward beside its
derivative: the alpha (forward) and beta (backward) recursions over the target with blanks
interleaved, l' = (blank, l1, blank, l2, ..., lL, blank), in log space.

    alpha[t, s] = lp[t, l'_s] + logsumexp(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2])
    (the s-2 term only where l'_s is not blank and differs from l'_{s-2}); beta mirrors it.
    loss = -log p(l | x) = -logsumexp(alpha[T-1, S-1], alpha[T-1, S-2])

Derivative, as PyTorch computes it for log-probabilities (it already includes the log-softmax
term, exp(lp), so it is the gradient of the logits once passed back through log_softmax):
    d loss / d lp[t, c] = exp(lp[t, c]) - exp(logsumexp_{s: l'_s = c}(alpha + beta)[t, s]
                                               + loss - lp[t, c])
for t below the sample's input length, 0 after it.
"""
import numpy as np

from ..autograd import ArrayFunction as Function
from .loss import _reduce, _scale


def _logsumexp(*terms):
    stacked = np.stack(terms)
    top = stacked.max(axis=0)
    safe = np.where(np.isfinite(top), top, 0)
    with np.errstate(divide="ignore"):
        return safe + np.log(np.exp(stacked - safe).sum(axis=0))


def _ctc_one(lp, target, blank):
    """(loss, d loss / d lp) of one sample: lp (T, C) log-probabilities up to its input length,
    target its L labels."""
    steps = lp.shape[0]
    labels = np.full(2 * len(target) + 1, blank, dtype=np.int64)
    labels[1::2] = target
    size = len(labels)
    # where the s-2 transition is allowed: a label that differs from the one two back
    skip = np.zeros(size, bool)
    skip[2:] = (labels[2:] != blank) & (labels[2:] != labels[:-2])
    emit = lp[:, labels]  # (T, S)
    alpha = np.full((steps, size), -np.inf)
    beta = np.full((steps, size), -np.inf)
    if steps == 0:
        return (0.0 if len(target) == 0 else np.inf), np.zeros_like(lp)
    alpha[0, 0] = emit[0, 0]
    if size > 1:
        alpha[0, 1] = emit[0, 1]
    for t in range(1, steps):
        prev = alpha[t - 1]
        one, two = np.full(size, -np.inf), np.full(size, -np.inf)
        one[1:], two[2:] = prev[:-1], prev[:-2]
        two[~skip] = -np.inf
        alpha[t] = emit[t] + _logsumexp(prev, one, two)
    beta[-1, -1] = emit[-1, -1]
    if size > 1:
        beta[-1, -2] = emit[-1, -2]
    skip_ahead = np.zeros(size, bool)
    skip_ahead[:-2] = skip[2:]
    for t in range(steps - 2, -1, -1):
        nxt = beta[t + 1]
        one, two = np.full(size, -np.inf), np.full(size, -np.inf)
        one[:-1], two[:-2] = nxt[1:], nxt[2:]
        two[~skip_ahead] = -np.inf
        beta[t] = emit[t] + _logsumexp(nxt, one, two)
    ends = alpha[-1, -2:] if size > 1 else alpha[-1, -1:]
    loss = -float(_logsumexp(*ends))
    # logsumexp over the positions s of each class c of alpha + beta
    ab = alpha + beta
    per_class = np.full(lp.shape, -np.inf)
    for c in np.unique(labels):
        per_class[:, c] = _logsumexp(*ab[:, labels == c].T)
    with np.errstate(over="ignore", invalid="ignore"):
        grad = np.exp(lp) - np.exp(per_class + loss - lp)
    return loss, grad


class CTCLossFunction(Function):
    """ctc_loss of log_probs (T, N, C) against targets (a list of label arrays); 'mean' divides
    each sample's loss by its target length (at least 1) before averaging, as PyTorch."""

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, reduction,
                zero_infinity):
        lp = np.asarray(log_probs, dtype=np.float64)
        losses = np.zeros(lp.shape[1])
        grad = np.zeros(lp.shape)
        for n, (target, length) in enumerate(zip(targets, input_lengths)):
            loss, g = _ctc_one(lp[:length, n], target, blank)
            if zero_infinity and np.isinf(loss):
                loss, g = 0.0, np.zeros_like(g)
            losses[n] = loss
            grad[:length, n] = g
        if reduction == "mean":
            per = np.maximum(np.asarray(target_lengths, dtype=np.float64), 1)
            losses, grad = losses / per, grad / per[None, :, None]
        dtype = log_probs.dtype
        ctx.grad, ctx.reduction, ctx.count = grad.astype(dtype), reduction, lp.shape[1]
        return _reduce(losses.astype(dtype), reduction, lp.shape[1])

    @staticmethod
    def backward(ctx, g):
        s = _scale(g, ctx.reduction, ctx.count, ctx.grad.dtype)
        if ctx.reduction == "none":
            s = np.reshape(s, (1, -1, 1))
        return ctx.grad * s
