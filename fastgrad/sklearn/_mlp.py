"""MLPClassifier and MLPRegressor: scikit-learn's estimators of the same names, trained by
fastgrad's kernels (the loop is in _mlp_base.py)."""
import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels

from ._mlp_base import BaseMLP

_SHARED_DOC = """
    Parameters, fitted attributes and methods are scikit-learn's (see
    sklearn.neural_network.{name}); in float64 the fit reproduces scikit-learn's to rounding
    (same initialisation, batches, loss, solver and stopping rule). The differences:

    dtype : {{'float32', 'float64'}} or None, default='float32'
        The precision the network is trained and evaluated in. float32 is faster (1.5-3x here);
        None follows X as scikit-learn does (float32 input stays float32, anything else becomes
        float64). Use 'float64' to reproduce scikit-learn's numbers.

    verbose : bool or int, default=False
        True (or 1) prints scikit-learn's lines ("Iteration 1, loss = ..."); 2 or more also
        draws a progress bar of each epoch's batches on stderr.

    Sparse X is densified when its dense form has at most 2**26 elements, refused (TypeError)
    beyond. Pickling works (GridSearchCV(n_jobs>1) and joblib move estimators with it), but
    unpickling runs code: load only pickles you trust. The safe format for
    the weights alone is fastgrad.save({{f"coefs_{{i}}": c for i, c in enumerate(est.coefs_)}},
    path) (and likewise intercepts_), read back with fastgrad.load.
"""


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier (sklearn.neural_network.MLPClassifier) on fastgrad.

    Minimises the cross-entropy (softmax output for several classes, logistic output for two
    classes and for multi-label targets, one output per label) plus alpha/2 * ||W||^2 / n,
    with 'adam', 'sgd' or 'lbfgs'.
    """

    __doc__ += _SHARED_DOC.format(name="MLPClassifier")

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype="float32"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dtype = dtype

    def _output_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _validate_input(self, X, y, incremental, reset):
        """X and the one-hot (or label-indicator) targets; fixes classes_ on a first fit."""
        X, y = self._check_Xy(X, y, reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError("warm_start can only be used where `y` has the same "
                                     "classes as in the previous call to fit. Previously got "
                                     f"{self.classes_}, `y` has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError("`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {classes}.")
        return X, self._label_binarizer.transform(y).astype(X.dtype)

    def _targets_for_score(self, Y):
        return self._label_binarizer.inverse_transform(Y)

    def fit(self, X, y, sample_weight=None):
        """Fits the network to X (n_samples, n_features) and labels y (n_samples,) or a
        label-indicator matrix (n_samples, n_labels); returns self."""
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over X, y, continuing from the current weights and solver state; the
        first call needs `classes` (all labels that will ever be seen)."""
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self.classes_ = unique_labels(classes)
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        elif classes is not None and not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError(f"`classes={classes!r}` is not the same as on the last call to "
                             f"partial_fit, was: {self.classes_!r}")
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def _predict(self, X, check_input=True):
        if check_input:
            X = self._check_X(X)
        P = self._forward(X)
        return self._label_binarizer.inverse_transform(P.ravel() if self.n_outputs_ == 1
                                                       else P)

    def predict(self, X):
        """Predicted class labels (or label-indicator rows for a multi-label fit)."""
        self._check_fitted()
        return self._predict(X)

    def predict_proba(self, X):
        """Class probabilities, (n_samples, n_classes); for multi-label targets, each label's
        probability."""
        self._check_fitted()
        P = self._forward(self._check_X(X))
        if self.n_outputs_ == 1:
            p = P.ravel()
            return np.vstack([1 - p, p]).T
        return P

    def predict_log_proba(self, X):
        """The logarithm of predict_proba."""
        P = self.predict_proba(X)
        return np.log(P, out=P)

    def _score(self, X, y, sample_weight=None):
        return self._score_with(accuracy_score, X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor (sklearn.neural_network.MLPRegressor) on fastgrad.

    Minimises half the mean squared error ('squared_error', identity output) or the Poisson
    deviance ('poisson', exp output) plus alpha/2 * ||W||^2 / n, one output per target column,
    with 'adam', 'sgd' or 'lbfgs'.
    """

    __doc__ += _SHARED_DOC.format(name="MLPRegressor")

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype="float32"):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dtype = dtype

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _validate_input(self, X, y, incremental, reset):
        if self.loss not in ("squared_error", "poisson"):
            raise ValueError("The 'loss' parameter must be one of ['poisson', 'squared_error']"
                             f"; got {self.loss!r}.")
        X, y = self._check_Xy(X, y, reset, y_numeric=True)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires non-negative y.")
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return X, np.ascontiguousarray(Y, dtype=X.dtype)

    def _targets_for_score(self, Y):
        return Y.ravel() if Y.shape[1] == 1 else Y

    def fit(self, X, y, sample_weight=None):
        """Fits the network to X (n_samples, n_features) and targets y (n_samples,) or
        (n_samples, n_targets); returns self."""
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over X, y, continuing from the current weights and solver state."""
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def _predict(self, X, check_input=True):
        if check_input:
            X = self._check_X(X)
        P = self._forward(X)
        return P.ravel() if P.shape[1] == 1 else P

    def predict(self, X):
        """Predicted targets, (n_samples,) or (n_samples, n_targets)."""
        self._check_fitted()
        return self._predict(X)

    def _score(self, X, y, sample_weight=None):
        return self._score_with(r2_score, X, y, sample_weight)
