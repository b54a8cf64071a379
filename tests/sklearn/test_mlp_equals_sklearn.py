"""In float64, fastgrad's MLPClassifier/MLPRegressor reproduce scikit-learn's fits: the same
weights, loss curve, iteration count, validation scores and predictions, to rounding.

scikit-learn's own MLP (sklearn.neural_network) is the reference; both are given the same
hyper-parameters and random_state, so any difference in initialisation, batching, loss,
solver, schedule or stopping rule shows up as a mismatch.
"""
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", minversion="1.7")
from sklearn import neural_network as sk  # noqa: E402
from sklearn.datasets import load_digits, make_multilabel_classification  # noqa: E402
from sklearn.datasets import make_regression  # noqa: E402

from fastgrad import sklearn as fgsk  # noqa: E402

ATOL = 1e-10


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600]


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=300, n_features=12, n_targets=3, noise=0.1,
                           random_state=0)
    return X, y / y.std(axis=0)


def fit_both(cls_name, X, y, fit=lambda m, X, y: m.fit(X, y), **params):
    """(ours, scikit-learn's), each fitted by `fit` with the same parameters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: compared separately
        theirs = fit(getattr(sk, cls_name)(**params), X, y)
        ours = fit(getattr(fgsk, cls_name)(dtype="float64", **params), X, y)
    return ours, theirs


def assert_same_fit(ours, theirs, X):
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.n_layers_ == theirs.n_layers_ and ours.n_outputs_ == theirs.n_outputs_
    assert ours.out_activation_ == theirs.out_activation_
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=0, atol=ATOL)
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-10, atol=ATOL)
    for name in ("loss_curve_", "validation_scores_", "best_loss_", "best_validation_score_",
                 "t_"):
        if hasattr(theirs, name):
            a, b = getattr(ours, name), getattr(theirs, name)
            if b is None:
                assert a is None, name
            else:
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=ATOL, err_msg=name)
    if hasattr(theirs, "predict_proba"):
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-9)
        np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_array_equal(ours.predict(X).shape, theirs.predict(X).shape)
    if not hasattr(theirs, "predict_proba"):
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-9)


CLASSIFIER_CONFIGS = [
    dict(),
    dict(activation="tanh", batch_size=64),
    dict(activation="logistic", shuffle=False, batch_size=50),
    dict(activation="identity", alpha=0.1),
    dict(solver="sgd", learning_rate_init=0.05),
    dict(solver="sgd", nesterovs_momentum=False, momentum=0.5),
    dict(solver="sgd", momentum=0.0),
    dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.5, power_t=0.3),
    dict(solver="sgd", learning_rate="adaptive", tol=0.05, n_iter_no_change=2),
    dict(early_stopping=True, validation_fraction=0.2, n_iter_no_change=3),
    dict(solver="sgd", early_stopping=True, learning_rate="adaptive", tol=0.02,
         n_iter_no_change=2),
    dict(tol=0.05, n_iter_no_change=2),  # stops on the training loss before max_iter
    dict(solver="lbfgs", max_iter=40),
    dict(beta_1=0.8, beta_2=0.99, epsilon=1e-6, learning_rate_init=0.003),
]


@pytest.mark.parametrize("params", CLASSIFIER_CONFIGS, ids=str)
def test_classifier_equals_sklearn(digits, params):
    X, y = digits
    base = dict(hidden_layer_sizes=(24, 16), max_iter=12, random_state=3)
    ours, theirs = fit_both("MLPClassifier", X, y, **{**base, **params})
    assert_same_fit(ours, theirs, X)


def test_binary_classifier_with_early_stopping_equals_sklearn(digits):
    """Two classes: one logistic output, and a stratified validation split."""
    X, y = digits
    labels = np.array(["odd", "even"])[(y % 2 == 0).astype(int)]
    ours, theirs = fit_both("MLPClassifier", X, labels, hidden_layer_sizes=(20,), max_iter=15,
                            early_stopping=True, random_state=1)
    assert_same_fit(ours, theirs, X)
    assert ours.predict(X).dtype == theirs.predict(X).dtype


def test_multilabel_classifier_equals_sklearn():
    X, Y = make_multilabel_classification(n_samples=300, n_features=10, n_classes=4,
                                          random_state=0)
    for params in (dict(), dict(early_stopping=True), dict(solver="sgd")):
        ours, theirs = fit_both("MLPClassifier", X, Y, hidden_layer_sizes=(15,), max_iter=10,
                                random_state=0, **params)
        assert_same_fit(ours, theirs, X)
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


REGRESSOR_CONFIGS = [
    dict(),
    dict(solver="sgd", learning_rate_init=0.01),
    dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.05),
    dict(early_stopping=True, n_iter_no_change=3),
    dict(activation="tanh", batch_size=32, alpha=1.0),
    dict(solver="lbfgs", max_iter=30),
]


@pytest.mark.parametrize("params", REGRESSOR_CONFIGS, ids=str)
def test_multi_output_regressor_equals_sklearn(regression, params):
    X, Y = regression
    base = dict(hidden_layer_sizes=(20, 10), max_iter=15, random_state=5)
    ours, theirs = fit_both("MLPRegressor", X, Y, **{**base, **params})
    assert_same_fit(ours, theirs, X)


def test_single_output_and_poisson_regressor_equal_sklearn(regression):
    X, Y = regression
    ours, theirs = fit_both("MLPRegressor", X, Y[:, 0], hidden_layer_sizes=(8,), max_iter=10,
                            random_state=0)
    assert_same_fit(ours, theirs, X)
    assert ours.predict(X).shape == (X.shape[0],)
    counts = np.random.default_rng(0).poisson(np.exp(X[:, 0] / 3))
    ours, theirs = fit_both("MLPRegressor", X, counts, loss="poisson", hidden_layer_sizes=(8,),
                            max_iter=10, random_state=0)
    assert_same_fit(ours, theirs, X)


def test_sample_weight_equals_sklearn(digits, regression):
    X, y = digits
    w = np.random.default_rng(0).uniform(0.1, 3, size=len(y))
    fit = lambda m, X, y: m.fit(X, y, sample_weight=w)  # noqa: E731
    for params in (dict(), dict(solver="sgd", early_stopping=True), dict(solver="lbfgs")):
        ours, theirs = fit_both("MLPClassifier", X, y, fit, hidden_layer_sizes=(16,),
                                max_iter=8, random_state=2, **params)
        assert_same_fit(ours, theirs, X)


def test_partial_fit_equals_sklearn(digits, regression):
    X, y = digits

    def three_calls(m, X, y):
        for part in np.array_split(np.arange(len(y)), 3):
            m.partial_fit(X[part], y[part], classes=np.unique(y))
        return m

    ours, theirs = fit_both("MLPClassifier", X, y, three_calls, hidden_layer_sizes=(16,),
                            random_state=0)
    assert_same_fit(ours, theirs, X)
    X, Y = regression

    def twice(m, X, Y):
        return m.partial_fit(X, Y).partial_fit(X[:100], Y[:100])

    for params in (dict(), dict(solver="sgd", learning_rate="invscaling")):
        ours, theirs = fit_both("MLPRegressor", X, Y, twice, hidden_layer_sizes=(16,),
                                random_state=0, **params)
        assert_same_fit(ours, theirs, X)


def test_warm_start_equals_sklearn(digits):
    X, y = digits

    def fit_twice(m, X, y):
        return m.fit(X, y).fit(X[:300], y[:300])

    for params in (dict(), dict(early_stopping=True, n_iter_no_change=2)):
        ours, theirs = fit_both("MLPClassifier", X, y, fit_twice, hidden_layer_sizes=(16,),
                                max_iter=6, warm_start=True, random_state=0, **params)
        assert_same_fit(ours, theirs, X)


def test_convergence_warning_as_sklearn(digits):
    X, y = digits
    with pytest.warns(sklearn.exceptions.ConvergenceWarning, match="Maximum iterations"):
        fgsk.MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, random_state=0).fit(X, y)
    with pytest.warns(sklearn.exceptions.ConvergenceWarning, match="lbfgs failed"):
        fgsk.MLPClassifier(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=2).fit(X, y)


@pytest.mark.parametrize("params, line", [
    (dict(early_stopping=True), "Validation score: "),
    (dict(solver="sgd", learning_rate="adaptive", tol=0.05, n_iter_no_change=1),
     "Setting learning rate to"),
    (dict(tol=0.05, n_iter_no_change=1), "Stopping."),
])
def test_verbose_prints_sklearn_lines(digits, capsys, params, line):
    X, y = digits
    params = dict(hidden_layer_sizes=(8,), max_iter=8, verbose=True, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk.MLPClassifier(**params).fit(X, y)
        theirs = capsys.readouterr().out
        fgsk.MLPClassifier(dtype="float64", **params).fit(X, y)
        ours = capsys.readouterr().out
    assert "Iteration 1, loss = " in ours and line in ours
    assert ours == theirs


def test_float32_fit_close_to_float64(digits):
    """The default float32 training follows the float64 one closely over a short fit."""
    X, y = digits
    params = dict(hidden_layer_sizes=(24,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m32 = fgsk.MLPClassifier(**params).fit(X, y)
        m64 = fgsk.MLPClassifier(dtype="float64", **params).fit(X, y)
    assert m32.coefs_[0].dtype == np.float32
    np.testing.assert_allclose(m32.loss_curve_, m64.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(m32.predict_proba(X), m64.predict_proba(X), atol=1e-3)


def test_progress_bar_when_asked(digits, capsys):
    """verbose=2: scikit-learn's lines on stdout and, on stderr, a bar reaching 100% once an
    epoch (the batch count is ceil(600 / 64) = 10)."""
    X, y = digits
    params = dict(hidden_layer_sizes=(8,), max_iter=3, batch_size=64, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fgsk.MLPClassifier(verbose=2, dtype="float64", **params).fit(X, y)
        captured = capsys.readouterr()
        sk.MLPClassifier(verbose=2, **params).fit(X, y)
    assert captured.out == capsys.readouterr().out
    assert captured.err.count("100%") == 3 and "epoch 3 [" in captured.err


def test_subnormals_flushed_without_changing_the_fit(digits, monkeypatch):
    """Dead units' weights decay geometrically under Adam and the L2 term; the per-epoch flush
    keeps float32 values out of the (slow) subnormal range and changes no loss value."""
    from fastgrad.sklearn import _mlp_base

    X, y = digits
    params = dict(hidden_layer_sizes=(128,), batch_size=10, learning_rate_init=0.01,
                  max_iter=15, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flushed = fgsk.MLPClassifier(**params).fit(X, y)
        monkeypatch.setattr(_mlp_base, "flush_subnormals", lambda arrays: None)
        kept = fgsk.MLPClassifier(**params).fit(X, y)
    floor = np.sqrt(np.finfo(np.float32).tiny)
    assert any((np.abs(c) < floor).any() for c in kept.coefs_)  # the decay happened
    for c in flushed.coefs_ + flushed._optimizer.state():
        assert not ((c != 0) & (np.abs(c) < floor)).any()
    np.testing.assert_array_equal(flushed.loss_curve_, kept.loss_curve_)
