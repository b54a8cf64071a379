"""fastgrad's estimators inside scikit-learn's machinery (Pipeline, GridSearchCV with worker
processes, clone, pickle, pandas DataFrames), and their refusal of bad input.

References: scikit-learn's own MLP fitted the same way (for the MLPs in float64), the
estimator's own predictions before a round trip, and a NumPy gradient-descent loop for
NeuralNetRegressor.
"""
import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn", minversion="1.7")
import scipy.sparse  # noqa: E402
from sklearn import neural_network as sk  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from fastgrad import nn, optim  # noqa: E402
from fastgrad.sklearn import (MLPClassifier, MLPModule, MLPRegressor,  # noqa: E402
                              NeuralNetClassifier, NeuralNetRegressor)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:500], y[:500]


def test_pipeline_matches_sklearn_pipeline(digits):
    X, y = digits
    params = dict(hidden_layer_sizes=(20,), max_iter=10, random_state=0)
    ours = make_pipeline(StandardScaler(), MLPClassifier(dtype="float64", **params)).fit(X, y)
    theirs = make_pipeline(StandardScaler(), sk.MLPClassifier(**params)).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-9)
    assert ours.score(X, y) == theirs.score(X, y)


def test_grid_search_with_two_workers_matches_sklearn(digits):
    X, y = digits
    grid = {"alpha": [1e-4, 1.0], "hidden_layer_sizes": [(8,), (16,)]}
    base = dict(max_iter=8, random_state=0)
    ours = GridSearchCV(MLPClassifier(dtype="float64", **base), grid, cv=3, n_jobs=2).fit(X, y)
    theirs = GridSearchCV(sk.MLPClassifier(**base), grid, cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"],
                               theirs.cv_results_["mean_test_score"])
    assert ours.best_params_ == theirs.best_params_


def test_grid_search_routes_neural_net_parameters(digits):
    X, y = digits
    X = X / 16.0
    net = NeuralNetClassifier(MLPModule, optimizer=optim.Adam, lr=0.01, max_epochs=5,
                              random_state=0, module__hidden_layer_sizes=(8,))
    grid = {"module__hidden_layer_sizes": [(4,), (32,)], "optimizer__weight_decay": [0.0, 1e-3]}
    search = GridSearchCV(net, grid, cv=2, n_jobs=2).fit(X, y)
    best = search.best_estimator_
    widths = [p.shape[0] for p in best.module_.parameters() if p.ndim == 2]
    assert widths[0] == best.module__hidden_layer_sizes[0]
    assert best.optimizer_.param_groups[0]["weight_decay"] == best.optimizer__weight_decay
    assert len(search.cv_results_["params"]) == 4


def test_clone_keeps_parameters_and_drops_fit(digits):
    X, y = digits
    mlp = MLPClassifier(hidden_layer_sizes=(7,), max_iter=3, alpha=0.5, dtype="float64").fit(X, y)
    copy = clone(mlp)
    assert copy.get_params() == mlp.get_params() and not hasattr(copy, "coefs_")
    net = NeuralNetRegressor(MLPModule, module__hidden_layer_sizes=(3,), max_epochs=1)
    net_copy = clone(net)
    assert net_copy.get_params()["module__hidden_layer_sizes"] == (3,)
    net_copy.set_params(module__hidden_layer_sizes=(5,), lr=0.1)
    assert net.module__hidden_layer_sizes == (3,) and net_copy.lr == 0.1


def test_pickle_round_trip_keeps_predictions_and_solver_state(digits):
    """Unpickling runs code (load only trusted pickles); a restored estimator predicts the
    same and continues partial_fit exactly as the original would."""
    X, y = digits
    classes = np.unique(y)
    mlp = MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    mlp.partial_fit(X, y, classes=classes)
    restored = pickle.loads(pickle.dumps(mlp))
    np.testing.assert_array_equal(restored.predict_proba(X), mlp.predict_proba(X))
    mlp.partial_fit(X, y)
    restored.partial_fit(X, y)
    for a, b in zip(restored.coefs_, mlp.coefs_):
        np.testing.assert_array_equal(a, b)
    net = NeuralNetClassifier(MLPModule, max_epochs=2, random_state=0).fit(X / 16, y)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(net)).predict_proba(X / 16),
                                  net.predict_proba(X / 16))


def test_pandas_feature_names(digits):
    pd = pytest.importorskip("pandas")
    X, y = digits
    df = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])
    for est in (MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0),
                NeuralNetClassifier(MLPModule, max_epochs=1, random_state=0)):
        est.fit(df, pd.Series(y))
        np.testing.assert_array_equal(est.feature_names_in_, df.columns)
        with pytest.warns(UserWarning, match="feature names"):
            np.testing.assert_array_equal(est.predict(df), est.predict(X))
        with pytest.raises(ValueError, match="feature names"):
            est.predict(df.rename(columns={"px0": "other"}))
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(df, pd.Series(y * 1.0))
    assert reg.n_features_in_ == X.shape[1]


def test_neural_net_regressor_follows_numpy_sgd():
    """A linear module, full-batch SGD, no shuffling: each epoch is W -= lr * dMSE/dW, which
    NumPy computes independently from the same initial weights."""
    X, y = make_regression(n_samples=64, n_features=5, n_targets=2, random_state=0)
    X, y = X.astype(np.float64), y / 100
    module = nn.Linear(5, 2, dtype="float64")
    W, b = (np.array(p.numpy(), dtype=np.float64) for p in module.parameters())
    W0 = W.copy()
    net = NeuralNetRegressor(module, optimizer=optim.SGD, lr=0.05, max_epochs=4,
                             batch_size=64, shuffle=False).fit(X, y)
    losses = []
    for _ in range(4):
        err = X @ W.T + b - y
        losses.append(np.mean(err ** 2))
        g = 2 * err / err.size
        W, b = W - 0.05 * g.T @ X, b - 0.05 * g.sum(axis=0)
    np.testing.assert_allclose([h["train_loss"] for h in net.history_], losses, rtol=1e-10)
    np.testing.assert_allclose(net.predict(X), X @ W.T + b, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(next(module.parameters()).numpy(), W0)  # a copy trained


def test_neural_net_history_and_validation(digits):
    X, y = digits
    net = NeuralNetClassifier(MLPModule, optimizer=optim.Adam, lr=0.01, max_epochs=3,
                              validation_fraction=0.2, random_state=0).fit(X / 16, y)
    assert [h["epoch"] for h in net.history_] == [1, 2, 3]
    assert all({"train_loss", "valid_loss", "dur"} <= set(h) for h in net.history_)
    assert net.history_[-1]["train_loss"] < net.history_[0]["train_loss"]
    proba = net.predict_proba(X / 16)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(net.classes_[proba.argmax(axis=1)], net.predict(X / 16))


# ---- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize("params, name", [
    (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
    (dict(solver="newton"), "solver"),
    (dict(learning_rate_init=0.0), "learning_rate_init"),
    (dict(batch_size=0), "batch_size"),
    (dict(validation_fraction=1.0), "validation_fraction"),
    (dict(dtype="int8"), "dtype"),
    (dict(dtype="no such type"), "dtype"),
    (dict(n_iter_no_change=0), "n_iter_no_change"),
])
def test_bad_parameters_name_the_parameter(digits, params, name):
    X, y = digits
    with pytest.raises(ValueError, match=name):
        MLPClassifier(**params).fit(X, y)


def test_bad_data_refused_as_sklearn_refuses_it(digits):
    X, y = digits
    bad = X.astype(float)
    bad[3, 3] = np.nan
    for est in (MLPClassifier(max_iter=2), NeuralNetClassifier(MLPModule, max_epochs=1)):
        with pytest.raises(ValueError, match="NaN"):
            est.fit(bad, y)
        bad_inf = X.astype(float)
        bad_inf[0, 0] = np.inf
        with pytest.raises(ValueError, match="infinity"):
            est.fit(bad_inf, y)
        with pytest.raises(ValueError, match="features"):
            clone(est).fit(X, y).predict(X[:, :5])
    with pytest.raises(ValueError, match="classes"):
        MLPClassifier(max_iter=2).partial_fit(X, y)
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")  # as scikit-learn's
    assert not hasattr(sk.MLPClassifier(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X, y)


def test_sparse_input_densified_when_small_refused_when_large(digits, monkeypatch):
    X, y = digits
    sparse = scipy.sparse.csr_matrix(X)
    dense_fit = MLPClassifier(hidden_layer_sizes=(6,), max_iter=2, random_state=0).fit(X, y)
    sparse_fit = MLPClassifier(hidden_layer_sizes=(6,), max_iter=2, random_state=0)
    sparse_fit.fit(sparse, y)
    np.testing.assert_array_equal(sparse_fit.coefs_[0], dense_fit.coefs_[0])
    from fastgrad.sklearn import _mlp_base
    monkeypatch.setattr(_mlp_base, "SPARSE_DENSIFY_LIMIT", 100)
    with pytest.raises(TypeError, match="sparse"):
        MLPClassifier(max_iter=1).fit(sparse, y)


def test_non_finite_weights_raise(digits):
    X, y = digits
    with pytest.raises(ValueError, match="non-finite"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPRegressor(solver="sgd", learning_rate_init=1e3, max_iter=5,
                     random_state=0).fit(X * 1e3, y * 1e6)


def test_neural_net_bad_routing():
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2
    with pytest.raises(TypeError, match="modul__width"):
        NeuralNetClassifier(MLPModule, modul__width=3).fit(X, y)
    with pytest.raises(ValueError, match="instance"):
        NeuralNetClassifier(MLPModule(3, 2), module__hidden_layer_sizes=(3,)).fit(X, y)
    with pytest.raises(ValueError, match="max_epochs"):
        NeuralNetClassifier(MLPModule, max_epochs=0).fit(X, y)
    with pytest.raises(ValueError, match="labels"):
        NeuralNetClassifier(MLPModule, max_epochs=1).partial_fit(X, y).partial_fit(X, y + 5)
