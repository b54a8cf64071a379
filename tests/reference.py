"""NumPy float64 references shared by test modules: the activations and their derivatives,
softmax cross-entropy, and the SGD / Adam updates (transcriptions of torch/optim/{sgd,adam}.py).
"""
import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


SELU_ALPHA = 1.6732632423543772848170429916717  # PyTorch's SELU constants
SELU_SCALE = 1.0507009873554804934193349852946


def ref_act(name, x, p):
    """act(x) for an activation of _kernels.ACTIVATIONS by name; p is its parameter."""
    x = x.astype(np.float64)
    if name == "none":
        return x
    if name == "relu":
        return np.where(x < 0, 0.0, x)
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return _sigmoid(x)
    if name == "leaky_relu":
        return np.where(x > 0, x, x * p)
    if name == "gelu":
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))
    if name == "gelu_tanh":
        return 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3)))
    if name == "elu":
        return np.where(x > 0, x, p * np.expm1(np.minimum(x, 0)))
    if name == "silu":
        return x * _sigmoid(x)
    if name == "softplus":
        return np.where(x * p > 20, x, np.logaddexp(0, x * p) / p)
    if name == "relu6":
        return np.where(x < 0, 0.0, np.where(x > 6, 6.0, x))
    if name == "selu":
        return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))
    if name == "celu":
        return np.where(x > 0, x, p * np.expm1(np.minimum(x, 0) / p))
    if name == "mish":
        return x * np.tanh(np.logaddexp(0, x))
    if name == "softsign":
        return x / (1 + np.abs(x))
    if name == "hardsigmoid":
        return np.clip(x + 3, 0, 6) / 6
    if name == "hardswish":
        return x * np.clip(x + 3, 0, 6) / 6
    if name == "logsigmoid":
        return -np.logaddexp(0, -x)
    if name == "tanhshrink":
        return x - np.tanh(x)
    raise KeyError(name)


def ref_act_grad(name, x, p):
    """d act / dx, with PyTorch's conventions at the kinks."""
    x = x.astype(np.float64)
    if name == "none":
        return np.ones_like(x)
    if name == "relu":
        return (x > 0).astype(np.float64)
    if name == "tanh":
        return 1 - np.tanh(x) ** 2
    if name == "sigmoid":
        s = _sigmoid(x)
        return s * (1 - s)
    if name == "leaky_relu":
        return np.where(x > 0, 1.0, p)
    if name == "gelu":
        return 0.5 * (1 + _erf(x / math.sqrt(2))) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    if name == "gelu_tanh":
        t = np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
    if name == "elu":
        return np.where(x > 0, 1.0, p * np.exp(np.minimum(x, 0)))
    if name == "silu":
        s = _sigmoid(x)
        return s * (1 + x * (1 - s))
    if name == "softplus":
        return np.where(x * p > 20, 1.0, _sigmoid(x * p))
    if name == "relu6":
        return ((x > 0) & (x < 6)).astype(np.float64)
    if name == "selu":
        return SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0)))
    if name == "celu":
        return np.where(x > 0, 1.0, np.exp(np.minimum(x, 0) / p))
    if name == "mish":
        t = np.tanh(np.logaddexp(0, x))
        return t + x * _sigmoid(x) * (1 - t * t)
    if name == "softsign":
        return 1 / (1 + np.abs(x)) ** 2
    if name == "hardsigmoid":
        return np.where((x > -3) & (x < 3), 1 / 6, 0.0)
    if name == "hardswish":
        return np.where(x < -3, 0.0, np.where(x <= 3, x / 3 + 0.5, 1.0))
    if name == "logsigmoid":
        return _sigmoid(-x)
    if name == "tanhshrink":
        return np.tanh(x) ** 2
    raise KeyError(name)


def ref_cross_entropy(X, target, ignore_index, eps):
    """Per-row softmax cross-entropy with label smoothing eps, and its gradient."""
    X = X.astype(np.float64)
    M, C = X.shape
    lse = np.log(np.exp(X - X.max(axis=1, keepdims=True)).sum(axis=1)) + X.max(axis=1)
    loss, grad = np.zeros(M), np.zeros((M, C))
    for i in range(M):
        if target[i] == ignore_index:
            continue
        q = np.full(C, eps / C)
        q[target[i]] += 1 - eps
        loss[i] = -(q * (X[i] - lse[i])).sum()
        grad[i] = np.exp(X[i] - lse[i]) - q
    return loss, grad


def ref_sgd(p, g, buf, lr, momentum, dampening, wd, nesterov, first):
    """One SGD step on p (and its momentum buffer buf) in place."""
    d = g + wd * p
    if momentum != 0:
        buf[...] = d if first else momentum * buf + (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf
    p -= lr * d


def ref_adam(p, g, m, v, vmax, lr, b1, b2, eps, wd, decoupled, step):
    """One Adam (decoupled: AdamW; vmax: AMSGrad) step on p, m, v in place."""
    if wd != 0:
        if decoupled:
            p *= 1 - lr * wd
        else:
            g = g + wd * p
    m[...] = b1 * m + (1 - b1) * g
    v[...] = b2 * v + (1 - b2) * g * g
    if vmax is not None:
        np.maximum(vmax, v, out=vmax)
    denom = np.sqrt(vmax if vmax is not None else v) / math.sqrt(1 - b2**step) + eps
    p -= lr / (1 - b1**step) * m / denom
