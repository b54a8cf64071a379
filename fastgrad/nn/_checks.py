"""Argument checks shared by a Module and its functional twin, written once."""
import numpy as np


def number(value: object, name: str, fn: str) -> float:
    """value as a float; a TypeError naming the argument if it is not a real number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be a number, got {type(value).__name__}")
    return float(value)


def gelu_approximate(approximate: object, fn: str) -> str:
    """GELU's approximate argument: 'none' (exact, erf) or 'tanh'."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"{fn}: approximate must be 'none' or 'tanh', got {approximate!r}")
    return approximate


def softplus_beta(beta: object, fn: str) -> float:
    """Softplus' beta: a non-zero number (it divides)."""
    beta = number(beta, "beta", fn)
    if beta == 0:
        raise ValueError(f"{fn}: beta must be non-zero")
    return beta


def celu_alpha(alpha: object, fn: str) -> float:
    """CELU's alpha: a non-zero number (x / alpha)."""
    alpha = number(alpha, "alpha", fn)
    if alpha == 0:
        raise ValueError(f"{fn}: alpha cannot be 0 for CELU")
    return alpha


def hardtanh_bounds(min_val: object, max_val: object, fn: str) -> tuple:
    """Hardtanh's (min_val, max_val): numbers, min_val <= max_val."""
    lo, hi = number(min_val, "min_val", fn), number(max_val, "max_val", fn)
    if lo > hi:
        raise ValueError(f"{fn}: min_val ({lo}) cannot be greater than max_val ({hi})")
    return lo, hi
