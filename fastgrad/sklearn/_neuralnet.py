"""NeuralNetClassifier and NeuralNetRegressor: any fastgrad nn.Module as a scikit-learn
estimator, in the spirit of skorch.

Parameters named `module__x`, `criterion__x` and `optimizer__x` are routed to the module, the
criterion and the optimizer when they are built (at fit), and are ordinary parameters for
get_params/set_params, so GridSearchCV can search over them. The training loop uses only the
public Module/optimizer/loss API (zero_grad, backward, step).
"""
import copy
import inspect
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import from_numpy, manual_seed, nn, no_grad, optim
from ._mlp_base import densify, row_invariant

ROUTED = ("module", "criterion", "optimizer")


def MLPModule(in_features, out_features, hidden_layer_sizes=(100,), activation="relu",
              dtype="float32"):
    """A dense network nn.Sequential(Linear, act, ..., Linear) from in_features to
    out_features, for NeuralNet*(module=MLPModule, module__hidden_layer_sizes=...)."""
    acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "logistic": nn.Sigmoid, "identity": nn.Identity}
    if activation not in acts:
        raise ValueError(f"MLPModule: activation must be one of {sorted(acts)}, got "
                         f"{activation!r}")
    sizes = [in_features] + list(hidden_layer_sizes) + [out_features]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(acts[activation]())
    return nn.Sequential(*layers)


def _build(factory, kwargs, inferred, what):
    """factory(**kwargs), with the inferred sizes added for the arguments it takes and kwargs
    does not set; an instance is deep-copied (a fit never changes the estimator's parameter)
    and must not be given routed kwargs."""
    if not callable(factory) or isinstance(factory, nn.Module):
        if kwargs:
            raise ValueError(f"{what}: {sorted(kwargs)} given but {what} is an instance; pass "
                             "its class to have them routed")
        return copy.deepcopy(factory)
    try:
        takes = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        takes = {}
    extra = {k: v for k, v in inferred.items() if k in takes and k not in kwargs}
    return factory(**kwargs, **extra)


class NeuralNet(BaseEstimator):
    """Shared training loop of NeuralNetClassifier and NeuralNetRegressor (use those)."""

    def __init__(self, module, criterion=None, optimizer=optim.SGD, lr=0.01, max_epochs=10,
                 batch_size=128, shuffle=True, validation_fraction=None, warm_start=False,
                 random_state=None, verbose=0, **kwargs):
        self.module = module
        self.criterion = criterion
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        for key, value in kwargs.items():  # checked at fit (scikit-learn's convention)
            setattr(self, key, value)

    # ---- routed parameters -----------------------------------------------------------------

    @staticmethod
    def _check_routed(key):
        if key.split("__", 1)[0] not in ROUTED or "__" not in key:
            raise TypeError(f"unexpected parameter {key!r}: extra parameters must be named "
                            "module__*, criterion__* or optimizer__*")

    def _extra_names(self):
        """The names of the parameters given beyond the constructor's own (module__* etc.)."""
        init_params = self._get_param_names()
        return [k for k in vars(self)
                if not k.endswith("_") and not k.startswith("_") and k not in init_params]

    def _routed(self, prefix):
        return {k.split("__", 1)[1]: v for k, v in vars(self).items()
                if k.startswith(prefix + "__")}

    def get_params(self, deep=True):
        """The constructor's parameters and every routed module__/criterion__/optimizer__
        parameter."""
        params = super().get_params(deep=deep)
        params.update({k: getattr(self, k) for k in self._extra_names()})
        return params

    def set_params(self, **params):
        """Sets parameters; names beyond the constructor's are stored as the constructor
        stores them, and must be module__*, criterion__* or optimizer__* by fit."""
        own = self._get_param_names()
        extra = {k: v for k, v in params.items() if k not in own}
        for key, value in extra.items():
            setattr(self, key, value)
        return super().set_params(**{k: v for k, v in params.items() if k not in extra})

    # ---- fit -------------------------------------------------------------------------------

    def _check_params(self):
        for key in self._extra_names():
            self._check_routed(key)
        for name in ("max_epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"The '{name}' parameter must be an int >= 1; got {value!r}.")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ValueError(f"The 'lr' parameter must be a float > 0; got {self.lr!r}.")
        vf = self.validation_fraction
        if vf is not None and not (isinstance(vf, float) and 0 < vf < 1):
            raise ValueError("The 'validation_fraction' parameter must be None or a float in "
                             f"(0, 1); got {vf!r}.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _initialize(self, n_features, n_outputs):
        if self.random_state is not None:
            manual_seed(int(check_random_state(self.random_state).randint(2 ** 31)))
        inferred = {"in_features": n_features, "out_features": n_outputs}
        self.module_ = _build(self.module, self._routed("module"), inferred, "module")
        if not isinstance(self.module_, nn.Module):
            raise TypeError(f"module must be a fastgrad nn.Module or return one, got "
                            f"{type(self.module_).__name__}")
        criterion = self.criterion if self.criterion is not None else self._default_criterion
        self.criterion_ = _build(criterion, self._routed("criterion"), {}, "criterion")
        self.optimizer_ = self.optimizer(self.module_.parameters(), lr=self.lr,
                                         **self._routed("optimizer"))
        self.history_ = []

    def _dtype(self):
        for p in self.module_.parameters():
            return p.dtype
        return np.dtype(np.float32)

    def _fit(self, X, y, initialize):
        self._check_params()
        X, y = validate_data(self, X, y, reset=initialize, accept_sparse=True,
                             dtype=(np.float32, np.float64), multi_output=self._multi_output,
                             y_numeric=not self._is_classifier)
        X = densify(X)
        target = self._encode_targets(y, initialize)
        if initialize:
            self._initialize(X.shape[1], self._n_outputs)
        X = np.ascontiguousarray(X, dtype=self._dtype())
        if not self._is_classifier:
            target = np.ascontiguousarray(target, dtype=self._dtype())
        rng = check_random_state(self.random_state)
        X_val = y_val = None
        if self.validation_fraction is not None:
            X, X_val, target, y_val = train_test_split(
                X, target, test_size=self.validation_fraction, random_state=rng)
        self.module_.train()
        n, bs = X.shape[0], min(self.batch_size, X.shape[0])
        for _ in range(self.max_epochs):
            start_time = time.perf_counter()
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            total = 0.0
            for start in range(0, n, bs):
                idx = order[start:start + bs]
                self.optimizer_.zero_grad()
                loss = self.criterion_(self.module_(from_numpy(X[idx])),
                                       from_numpy(target[idx]))
                loss.backward()
                self.optimizer_.step()
                total += loss.item() * len(idx)
            record = {"epoch": len(self.history_) + 1, "train_loss": total / n}
            if X_val is not None:
                record["valid_loss"] = self._loss_of(X_val, y_val)
            record["dur"] = time.perf_counter() - start_time
            self.history_.append(record)
            if self.verbose:
                print(", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
                                for k, v in record.items()))
        self.module_.eval()
        if not np.isfinite(self.history_[-1]["train_loss"]):
            raise ValueError("the training loss is not finite: the input data may contain "
                             "large values (scale them) or lr is too large")
        return self

    def fit(self, X, y):
        """Builds the module (unless warm_start and already fitted) and trains it for
        max_epochs epochs; returns self."""
        self.__dict__.pop("_partial_classes", None)
        return self._fit(X, y, initialize=not (self.warm_start and hasattr(self, "module_")))

    def partial_fit(self, X, y, classes=None):
        """Trains for max_epochs more epochs without rebuilding a fitted module (skorch's
        partial_fit); the first call builds it, taking the labels from `classes` if given."""
        if classes is not None and not hasattr(self, "module_"):
            self._partial_classes = unique_labels(classes)
        return self._fit(X, y, initialize=not hasattr(self, "module_"))

    def _loss_of(self, X, target):
        with no_grad():
            return self.criterion_(self.module_(from_numpy(X)), from_numpy(target)).item()

    def _forward(self, X):
        check_is_fitted(self, "module_")
        X = validate_data(self, X, reset=False, accept_sparse=True,
                          dtype=(np.float32, np.float64))
        X = np.ascontiguousarray(densify(X), dtype=self._dtype())
        self.module_.eval()
        with no_grad():
            return row_invariant(lambda X: np.asarray(self.module_(from_numpy(X)).numpy()), X)


class NeuralNetClassifier(ClassifierMixin, NeuralNet):
    """A fastgrad nn.Module trained as a scikit-learn classifier (skorch's
    NeuralNetClassifier).

    module: an nn.Module instance, or a callable returning one (a Module class, MLPModule);
    a callable taking `in_features`/`out_features` gets the number of features and of
    classes, unless module__in_features/module__out_features are given. The module maps a
    batch (n, n_features) to logits (n, n_classes). criterion: a loss class or instance
    (default nn.CrossEntropyLoss) taking (logits, class indices). optimizer: an optimizer
    class (default optim.SGD), built with lr and the optimizer__* parameters. Fitted:
    module_, criterion_, optimizer_, classes_, history_ (a list of one dict an epoch:
    epoch, train_loss, valid_loss when validation_fraction is set, dur in seconds). Targets
    are single labels; for multi-label ones use MLPClassifier.
    Pickling a fitted estimator pickles the module (unpickling runs code: load only pickles
    you trust; fastgrad.save(module_.state_dict()) is the safe format for the weights).
    """

    _is_classifier = True
    _multi_output = False
    _default_criterion = nn.CrossEntropyLoss

    def _encode_targets(self, y, initialize):
        check_classification_targets(y)
        if initialize:
            self._encoder = LabelEncoder().fit(getattr(self, "_partial_classes", y))
            self.classes_ = self._encoder.classes_
            self._n_outputs = len(self.classes_)
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if len(unknown):
            raise ValueError(f"y has labels {unknown} not seen at the first fit "
                             f"(classes_={self.classes_})")
        return self._encoder.transform(y).astype(np.int64)

    def predict_proba(self, X):
        """Class probabilities: the softmax of the module's outputs."""
        z = self._forward(X).astype(np.float64)
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        return z / z.sum(axis=1, keepdims=True)

    def predict(self, X):
        """The class of the largest output for each sample."""
        out = self._forward(X)
        return self.classes_[np.argmax(out, axis=1)]


class NeuralNetRegressor(RegressorMixin, NeuralNet):
    """A fastgrad nn.Module trained as a scikit-learn regressor (skorch's NeuralNetRegressor).

    As NeuralNetClassifier, except: out_features is the number of targets, the default
    criterion is nn.MSELoss on (outputs, targets as (n, n_targets) floats), and predict
    returns the module's outputs ((n,) when y was one-dimensional).
    """

    _is_classifier = False
    _multi_output = True
    _default_criterion = nn.MSELoss

    def _encode_targets(self, y, initialize):
        y = np.asarray(y)
        if initialize:
            self._y_ndim = y.ndim
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if initialize:
            self._n_outputs = Y.shape[1]
        return Y

    def predict(self, X):
        """The module's outputs, (n_samples,) when fitted on a one-dimensional y."""
        out = self._forward(X).astype(np.float64)
        return out.ravel() if self._y_ndim == 1 and out.ndim == 2 and out.shape[1] == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
