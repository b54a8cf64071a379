"""Checks of the MLP estimators' hyper-parameters, run at fit time (scikit-learn's convention:
__init__ stores, fit validates). Each failure is a ValueError naming the parameter."""
from numbers import Integral, Real

import numpy as np


def _fail(name, want, value):
    raise ValueError(f"The '{name}' parameter must be {want}; got {value!r}.")


def _real(est, name, lo, hi=np.inf, lo_open=False, hi_open=False):
    value = getattr(est, name)
    ok = isinstance(value, Real) and not isinstance(value, bool) and not np.isnan(value)
    if ok:
        ok = (value > lo if lo_open else value >= lo) and (value < hi if hi_open else value <= hi)
    if not ok:
        left, right = "(" if lo_open else "[", ")" if hi_open else "]"
        _fail(name, f"a float in the range {left}{lo}, {hi}{right}", value)


def _int(est, name, lo):
    value = getattr(est, name)
    if not isinstance(value, Integral) or isinstance(value, bool) or value < lo:
        _fail(name, f"an int >= {lo}", value)


def _option(est, name, options):
    value = getattr(est, name)
    if not isinstance(value, str) or value not in options:
        _fail(name, f"one of {sorted(options)}", value)


def _bool(est, name):
    if not isinstance(getattr(est, name), (bool, np.bool_)):
        _fail(name, "a bool", getattr(est, name))


def hidden_sizes(value):
    """hidden_layer_sizes as a list of ints >= 1 (an int is one hidden layer)."""
    sizes = list(value) if np.iterable(value) and not isinstance(value, str) else [value]
    for size in sizes:
        if not isinstance(size, Integral) or isinstance(size, bool) or size < 1:
            raise ValueError(f"hidden_layer_sizes must be an int or a sequence of ints > 0, "
                             f"got {value!r}.")
    return [int(s) for s in sizes]


def check_mlp_params(est):
    """Raises ValueError naming the first invalid hyper-parameter of an MLP estimator."""
    hidden_sizes(est.hidden_layer_sizes)
    _option(est, "activation", {"identity", "logistic", "tanh", "relu"})
    _option(est, "solver", {"lbfgs", "sgd", "adam"})
    _real(est, "alpha", 0)
    if not (isinstance(est.batch_size, str) and est.batch_size == "auto"):
        _int(est, "batch_size", 1)
    _option(est, "learning_rate", {"constant", "invscaling", "adaptive"})
    _real(est, "learning_rate_init", 0, lo_open=True)
    _real(est, "power_t", 0)
    _int(est, "max_iter", 1)
    _bool(est, "shuffle")
    _real(est, "tol", 0)
    _bool(est, "warm_start")
    _real(est, "momentum", 0, 1)
    _bool(est, "nesterovs_momentum")
    _bool(est, "early_stopping")
    _real(est, "validation_fraction", 0, 1, hi_open=True)
    _real(est, "beta_1", 0, 1, hi_open=True)
    _real(est, "beta_2", 0, 1, hi_open=True)
    _real(est, "epsilon", 0, lo_open=True)
    if est.n_iter_no_change != np.inf:
        _int(est, "n_iter_no_change", 1)
    _int(est, "max_fun", 1)
    if est.dtype is not None:
        try:
            ok = np.dtype(est.dtype) in (np.float32, np.float64)
        except TypeError:
            ok = False
        if not ok:
            _fail("dtype", "None, 'float32' or 'float64'", est.dtype)
    rs = est.random_state
    if not (rs is None or isinstance(rs, (Integral, np.random.RandomState))
            or isinstance(rs, bool)):
        _fail("random_state", "None, an int or a numpy RandomState", rs)
