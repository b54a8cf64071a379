"""More of torch.nn.functional, re-exported by functional.py: embedding, group_norm,
rms_norm, bilinear, cosine_similarity, pairwise_distance, normalize, pad.

embedding and pad apply their Functions (fastgrad/functions/embedding.py, pad.py); the
others are compositions of differentiable tensor ops, so their derivatives come from those ops.
"""
import numbers

import numpy as np

from .. import ops_math, ops_reduce
from .._grad_mode import no_grad
from ..functions.embedding import EmbeddingFunction
from ..functions.pad import NUMPY_MODES, PadFunction
from ..tensor import Tensor
from . import _checks


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _float(x):
    x = _tensor(x)
    return x if x.dtype.kind == "f" else x.float()


def _int(value, name, fn):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__}")
    return int(value)


# ---- embedding ----------------------------------------------------------------------------------

def embedding_padding_idx(padding_idx, num_embeddings, fn):
    """padding_idx as a row number in [0, num_embeddings) (a negative one counts from the end),
    or None."""
    if padding_idx is None:
        return None
    padding_idx = _int(padding_idx, "padding_idx", fn)
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{fn}: padding_idx must be within [-{num_embeddings}, "
                         f"{num_embeddings}) (num_embeddings), got {padding_idx}")
    return padding_idx % num_embeddings


def embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rescales, in place and outside the graph, each row of weight that indices refer to and
    whose norm_type-norm exceeds max_norm, to norm max_norm (PyTorch's embedding_renorm_)."""
    rows = np.unique(indices)
    w = weight._data
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    scale = max_norm / (norms[big] + 1e-7)
    with no_grad():
        w[rows[big]] = (w[rows[big]] * scale[:, None]).astype(w.dtype)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """The rows of weight at the integer indices in input, of shape input.shape +
    (embedding_dim,) (torch.nn.functional.embedding). padding_idx's row gets no gradient;
    max_norm renormalises the rows read, in place, before the lookup."""
    if not isinstance(weight, (Tensor, np.ndarray)) or np.ndim(weight) != 2:
        raise ValueError(f"embedding: weight must be a 2-d Tensor (num_embeddings, "
                         f"embedding_dim), got {type(weight).__name__} of shape "
                         f"{np.shape(weight)}")
    if sparse:
        raise NotImplementedError("embedding: sparse=True (sparse gradients) is not supported; "
                                  "fastgrad's gradients are dense")
    indices = np.asarray(input._data if isinstance(input, Tensor) else input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: input must hold integer indices (int64 or int32), got "
                        f"dtype {indices.dtype}")
    n = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        bad = indices[(indices < 0) | (indices >= n)].flat[0]
        raise IndexError(f"embedding: index {bad} of input is out of range for "
                         f"num_embeddings={n} (expected 0 <= index < {n})")
    padding_idx = embedding_padding_idx(padding_idx, n, "embedding")
    indices = indices.astype(np.intp)  # a copy: later changes to input do not reach backward
    weight = weight if isinstance(weight, Tensor) else Tensor(weight)
    if max_norm is not None:
        embedding_renorm_(weight, indices, _checks.number(max_norm, "max_norm", "embedding"),
                          _checks.number(norm_type, "norm_type", "embedding"))
    return EmbeddingFunction.apply(weight, indices, padding_idx, bool(scale_grad_by_freq))


# ---- normalisation ------------------------------------------------------------------------------

def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalises each group of num_groups channels (axis 1) of each sample over the group's
    channels and all later axes, then scales and shifts per channel
    (torch.nn.functional.group_norm)."""
    x = _float(input)
    num_groups = _int(num_groups, "num_groups", "group_norm")
    if x.ndim < 2:
        raise ValueError(f"group_norm: input must be (N, C, ...), got shape {tuple(x.shape)}")
    n, c = x.shape[0], x.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise ValueError(f"group_norm: num_groups={num_groups} must be positive and divide the "
                         f"{c} channels of input shape {tuple(x.shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != (c,):
            raise ValueError(f"group_norm: {name} shape {tuple(p.shape)} does not match the "
                             f"{c} channels of input shape {tuple(x.shape)}")
    groups = x.reshape(n, num_groups, -1)
    centred = groups - groups.mean(-1, keepdim=True)
    var = (centred * centred).mean(-1, keepdim=True)
    y = (centred * (var + eps).rsqrt()).reshape(*x.shape)
    per_channel = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * _tensor(weight).reshape(*per_channel)
    if bias is not None:
        y = y + _tensor(bias).reshape(*per_channel)
    return y


def _normalized_shape(normalized_shape, fn):
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(_int(d, "normalized_shape", fn) for d in normalized_shape)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the last len(normalized_shape) axes, times weight
    (torch.nn.functional.rms_norm); eps None is the machine epsilon of x's dtype."""
    x = _float(input)
    shape = _normalized_shape(normalized_shape, "rms_norm")
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k:]) != shape:
        raise ValueError(f"rms_norm: input shape {tuple(x.shape)} does not end in "
                         f"normalized_shape {shape}")
    if weight is not None and tuple(weight.shape) != shape:
        raise ValueError(f"rms_norm: weight shape {tuple(weight.shape)} does not match "
                         f"normalized_shape {shape}")
    eps = float(np.finfo(x.dtype).eps) if eps is None else _checks.number(eps, "eps", "rms_norm")
    axes = tuple(range(x.ndim - k, x.ndim))
    y = x * ((x * x).mean(axes, keepdim=True) + eps).rsqrt()
    return y * _tensor(weight) if weight is not None else y


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along dim (torch.nn.functional.normalize)."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported; use the returned tensor")
    x = _float(input)
    p = _checks.number(p, "p", "normalize")
    norm = ops_math.clamp(_vector_norm(x, p, dim, True), min=_checks.number(eps, "eps",
                                                                           "normalize"))
    return x / norm


def _vector_norm(x, p, dim, keepdim):
    """The p-norm along dim; its derivative is 0, not NaN, at a zero vector (PyTorch's)."""
    return ops_reduce.norm(x, p, dim, keepdim)


# ---- distances and the bilinear layer -----------------------------------------------------------

def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along dim, broadcasting x1 and x2
    (torch.nn.functional.cosine_similarity)."""
    a, b = _float(x1), _float(x2)
    try:
        np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise ValueError(f"cosine_similarity: x1 of shape {tuple(a.shape)} and x2 of shape "
                         f"{tuple(b.shape)} do not broadcast") from None
    eps = _checks.number(eps, "eps", "cosine_similarity")
    na = ops_math.clamp(_vector_norm(a, 2, dim, True), min=eps)
    nb = ops_math.clamp(_vector_norm(b, 2, dim, True), min=eps)
    return ((a / na) * (b / nb)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last axis (torch.nn.functional.pairwise_distance)."""
    a, b = _float(x1), _float(x2)
    p = _checks.number(p, "p", "pairwise_distance")
    eps = _checks.number(eps, "eps", "pairwise_distance")
    return _vector_norm(a - b + eps, p, -1, bool(keepdim))


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]
    (torch.nn.functional.bilinear); weight has shape (out, in1, in2)."""
    x1, x2 = _float(input1), _float(input2)
    w = _tensor(weight)
    if w.ndim != 3:
        raise ValueError(f"bilinear: weight must be 3-d (out, in1, in2), got shape "
                         f"{tuple(w.shape)}")
    out, in1, in2 = w.shape
    if x1.shape[-1] != in1 or x2.shape[-1] != in2 or tuple(x1.shape[:-1]) != tuple(x2.shape[:-1]):
        raise ValueError(f"bilinear: input1 of shape {tuple(x1.shape)} and input2 of shape "
                         f"{tuple(x2.shape)} must agree on all but the last axis and end in "
                         f"in1={in1} and in2={in2} (weight shape {tuple(w.shape)})")
    if bias is not None and tuple(bias.shape) != (out,):
        raise ValueError(f"bilinear: bias shape {tuple(bias.shape)} does not match the {out} "
                         "outputs of weight")
    lead = tuple(x1.shape[:-1])
    a, b = x1.reshape(-1, in1), x2.reshape(-1, in2)
    # (rows, in1) @ (in1, out * in2): each row's x1^T W_o for every o, then dotted with x2
    t = a.matmul(w.permute(1, 0, 2).reshape(in1, out * in2)).reshape(-1, out, in2)
    y = (t * b.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + _tensor(bias)
    return y.reshape(*lead, out)


# ---- padding ------------------------------------------------------------------------------------

def pad(input, pad, mode="constant", value=None):
    """input padded by `pad`: (left, right) for the last axis, then (top, bottom) for the one
    before, and so on (torch.nn.functional.pad). mode "constant" fills with value (0 if None)
    and crops where a width is negative; "reflect", "replicate" and "circular" pad the last
    one to three axes with copies of the input."""
    x = _tensor(input)
    if isinstance(pad, (str, bytes)) or not hasattr(pad, "__len__"):
        raise TypeError(f"pad: pad must be a tuple of ints, got {type(pad).__name__}")
    widths = [_int(v, "pad", "pad") for v in pad]
    if len(widths) % 2 or len(widths) // 2 > x.ndim:
        raise ValueError(f"pad: pad must have an even length of at most 2 * input.dim() = "
                         f"{2 * x.ndim}, got {len(widths)}")
    k = len(widths) // 2
    pairs = [(0, 0)] * (x.ndim - k) + [(widths[2 * i], widths[2 * i + 1])
                                        for i in reversed(range(k))]
    if mode == "constant":
        value = 0.0 if value is None else _checks.number(value, "value", "pad")
        for d, (b, a) in enumerate(pairs):
            if x.shape[d] + b + a < 0:
                raise ValueError(f"pad: padding {(b, a)} makes axis {d} of size {x.shape[d]} "
                                 "negative")
        return PadFunction.apply(x, tuple(pairs), "constant", value)
    if mode not in NUMPY_MODES:
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or "
                         f"'circular', got {mode!r}")
    if value is not None:
        raise ValueError(f"pad: value applies only to mode 'constant', not {mode!r}")
    if k > 3 or x.ndim < k + 1:
        raise NotImplementedError(f"pad: mode {mode!r} pads the last 1 to 3 axes of an input "
                                  f"with at least one axis more, got pad of length "
                                  f"{len(widths)} for input shape {tuple(x.shape)}")
    for d, (b, a) in enumerate(pairs):
        n = x.shape[d]
        if min(b, a) < 0:
            raise ValueError(f"pad: mode {mode!r} needs non-negative padding, got {(b, a)}")
        if mode == "reflect" and max(b, a) >= n:
            raise ValueError(f"pad: reflect padding {(b, a)} must be smaller than axis {d}'s "
                             f"size {n}")
        if mode != "reflect" and max(b, a) > 0 and (n == 0 or (mode == "circular"
                                                             and max(b, a) > n)):
            raise ValueError(f"pad: {mode} padding {(b, a)} does not fit axis {d} of size {n}")
    return PadFunction.apply(_float(x) if x.dtype.kind not in "fiu" else x, tuple(pairs),
                             mode, 0.0)
