"""The training loop shared by MLPClassifier and MLPRegressor: scikit-learn's algorithm, run on
fastgrad's fused dense stack.

It follows scikit-learn's MultilayerPerceptron step for step, so that in float64 the fitted
coefs_ and loss_curve_ equal scikit-learn's to rounding: Glorot-uniform initialisation drawn by
the same RandomState calls, the same shuffling and batches, the loss with its L2 term
alpha/2 * sum(W**2) / n, the same solvers and schedules (see _solvers.py), the same stopping rule
and early stopping. What differs is where the work happens: one forward and one backward call
into C for the whole stack per batch, and the update done by the optimizer kernels in place.

Layout: scikit-learn's coefs_[i] is (fan_in, fan_out); the kernels want W (fan_out, fan_in) in
row-major order. coefs_[i] is therefore kept column-major, so that coefs_[i].T is W itself, a
view: the kernels update coefs_ in place and there is one copy of the weights.
"""
import warnings

import numpy as np
import scipy.optimize
import scipy.sparse
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .. import _kernels
from . import _outputs
from ._params import check_mlp_params, hidden_sizes
from ._progress import EpochBar
from ._solvers import SGD, Adam

HIDDEN_ACTS = {"identity": _kernels.ACT_NONE, "relu": _kernels.ACT_RELU,
               "tanh": _kernels.ACT_TANH, "logistic": _kernels.ACT_SIGMOID}

# Sparse input is densified when the dense copy stays below this many elements.
SPARSE_DENSIFY_LIMIT = 2 ** 26


def densify(X):
    """Sparse X as a dense array where that is small enough, else a clear TypeError."""
    if not scipy.sparse.issparse(X):
        return X
    if X.shape[0] * X.shape[1] > SPARSE_DENSIFY_LIMIT:
        raise TypeError(f"X: sparse input of shape {X.shape} would need "
                        f"{X.shape[0] * X.shape[1]} elements as a dense array (at most "
                        f"{SPARSE_DENSIFY_LIMIT} are densified); fastgrad's kernels are dense: "
                        "reduce the features or pass a dense array")
    return X.toarray()


# The GEMM kernels sum a product of at most this many rows in another order than a larger
# one (their dot path), so a prediction would change in the last bits with the batch size.
DOT_PATH_ROWS = 4


def row_invariant(forward, X):
    """forward(X) for row-wise X, computed so each row's result does not depend on the rows
    it came with: batches short enough for the GEMM's dot path are padded past it."""
    n = X.shape[0]
    if 0 < n <= DOT_PATH_ROWS:
        padded = np.zeros((DOT_PATH_ROWS + 1, X.shape[1]), dtype=X.dtype)
        padded[:n] = X
        return forward(padded)[:n]
    return forward(X)


def flush_subnormals(arrays):
    """Sets the entries of each array below sqrt(smallest normal) in magnitude to zero, in place.

    Under the L2 term, Adam shrinks the weights of units that stopped learning geometrically
    (once alpha/n * |W| << epsilon, each step multiplies them by about 1 - lr * alpha / (n *
    epsilon)); in float32 they, their gradients and the moment estimates reach the subnormal
    range after a few hundred steps, where the CPU computes up to a hundred times slower: long
    float32 fits became slower than float64 ones. Below sqrt(smallest normal) (1e-19 in float32,
    1e-154 in float64) a value's products are subnormal, while its effect on any sum of normal
    values is far below rounding. Flushing every ~128 steps, and at the end of a fit, keeps the
    fit at full speed and left the loss curves tested unchanged to the last bit."""
    for a in arrays:
        np.copyto(a, 0, where=np.abs(a) < np.sqrt(np.finfo(a.dtype).tiny))


class Batches:
    """The mini-batches of an epoch, in scikit-learn's order: consecutive slices of the sample
    order, which `shuffle` redraws as scikit-learn does. A shuffled batch is gathered row by row
    into buffers reused for every batch (a small copy that stays in cache) rather than
    gathering the whole data set once an epoch."""

    def __init__(self, X, Y, labels, sample_weight, batch_size):
        n = X.shape[0]
        self.arrays = [X, Y, labels, sample_weight]
        self.bounds = [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]
        self.order = None  # None: the samples' own order
        self.buffers = [None if a is None else np.empty((batch_size,) + a.shape[1:], a.dtype)
                        for a in self.arrays]

    def shuffle(self, random_state):
        """Redraws the sample order: scikit-learn's shuffle(order, random_state)."""
        n = self.arrays[0].shape[0]
        perm = np.arange(n)
        random_state.shuffle(perm)
        self.order = perm if self.order is None else self.order[perm]

    def batch(self, i):
        """(X, Y, labels, sample_weight) of batch i; labels and sample_weight may be None."""
        start, stop = self.bounds[i]
        if self.order is None:
            return [None if a is None else a[start:stop] for a in self.arrays]
        idx = self.order[start:stop]
        return [None if a is None else np.take(a, idx, axis=0, out=buf[:stop - start],
                                               mode="clip")
                for a, buf in zip(self.arrays, self.buffers)]


class BaseMLP(BaseEstimator):
    """Shared parameters, fit loop and forward pass; use MLPClassifier or MLPRegressor."""

    # ---- parameters and data -------------------------------------------------------------

    def _dtype_for(self, X_dtype=None):
        if self.dtype is not None:
            return np.dtype(self.dtype)
        return np.dtype(X_dtype) if X_dtype in (np.float32, np.float64) else np.dtype(np.float64)

    def _check_X(self, X, reset=False):
        """validate_data with the model's dtype, row-major, sparse densified."""
        X = validate_data(self, X, reset=reset, accept_sparse=True, dtype=self._dtypes(),
                          order="C")
        return np.ascontiguousarray(densify(X))

    def _check_Xy(self, X, y, reset, **kw):
        """_check_X for fit: also y, which may have several columns."""
        X, y = validate_data(self, X, y, reset=reset, accept_sparse=True,
                             dtype=self._dtypes(), order="C", multi_output=True, **kw)
        return np.ascontiguousarray(densify(X)), y

    def _dtypes(self):
        return self._dtype_for() if self.dtype is not None else (np.float64, np.float32)

    def _stack(self):
        """(Ws, bs, acts, params): the network as the dense-stack kernels take it; coefs_ and
        intercepts_ are brought to the layout and dtype of the model (see the module
        docstring) if something replaced them."""
        dtype = self.coefs_[0].dtype if self.dtype is None else np.dtype(self.dtype)
        for i, (c, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            if c.dtype != dtype or not c.T.flags.c_contiguous:
                self.coefs_[i] = np.array(c, dtype=dtype, order="F")
            if b.dtype != dtype or not b.flags.c_contiguous:
                self.intercepts_[i] = np.array(b, dtype=dtype, order="C")
        Ws = [c.T for c in self.coefs_]
        acts = [HIDDEN_ACTS[self.activation]] * (len(Ws) - 1) + [_kernels.ACT_NONE]
        return Ws, list(self.intercepts_), acts, [0.0] * len(Ws)

    def _forward(self, X):
        """The network's output (after the output activation) for validated X."""
        Ws, bs, acts, params = self._stack()
        X = np.ascontiguousarray(X, dtype=Ws[0].dtype)

        def forward(X):
            ys, _ = _kernels.dense_stack_forward(X, Ws, bs, acts, params, False)
            return ys[-1]

        return _outputs.activate(self.out_activation_, row_invariant(forward, X))

    # ---- initialisation --------------------------------------------------------------------

    def _initialize(self, Y, layer_units, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        # Glorot et al.'s uniform initialisation, drawn as scikit-learn draws it
        factor = 2.0 if self.activation == "logistic" else 6.0
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            coef = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
            intercept = self._random_state.uniform(-bound, bound, fan_out)
            self.coefs_.append(np.array(coef, dtype=dtype, order="F"))
            self.intercepts_.append(np.array(intercept, dtype=dtype))
        self._best_coefs = [c.copy(order="F") for c in self.coefs_]
        self._best_intercepts = [b.copy() for b in self.intercepts_]
        if self.solver != "lbfgs":
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    # ---- fit -------------------------------------------------------------------------------

    def _fit(self, X, y, sample_weight=None, incremental=False):
        check_mlp_params(self)
        hidden = hidden_sizes(self.hidden_layer_sizes)
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        self.n_outputs_ = Y.shape[1]
        layer_units = [X.shape[1]] + hidden + [self.n_outputs_]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(Y, layer_units, self._dtype_for(X.dtype))
        elif [c.shape for c in self.coefs_] != list(zip(layer_units[:-1], layer_units[1:])):
            raise ValueError("warm_start/partial_fit: the network's layer sizes "
                             f"{[c.shape for c in self.coefs_]} do not match "
                             f"hidden_layer_sizes={self.hidden_layer_sizes!r} and the data")
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, sample_weight)
        else:
            self._fit_stochastic(X, Y, sample_weight, incremental)
        if not all(np.isfinite(w).all() for w in self.coefs_ + self.intercepts_):
            raise ValueError("Solver produced non-finite parameter weights. The input data may"
                             " contain large values and need to be preprocessed.")
        return self

    def _make_solver(self, Ws, bs):
        if self.solver == "sgd":
            return SGD(Ws, bs, self.learning_rate_init, self.learning_rate, self.momentum,
                       self.nesterovs_momentum, self.power_t)
        return Adam(Ws, bs, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)

    def _split_validation(self, X, Y, sample_weight):
        """The early-stopping split, drawn as scikit-learn draws it (stratified only for a
        single-output classifier)."""
        stratify = Y > 0.5 if is_classifier(self) and self.n_outputs_ == 1 else None
        arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
        parts = train_test_split(*arrays, random_state=self._random_state,
                                 test_size=self.validation_fraction, stratify=stratify)
        X_tr, X_val, Y_tr, Y_val = parts[:4]
        sw_tr, sw_val = (parts[4], parts[5]) if sample_weight is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' "
                             "or the size of your dataset.")
        return X_tr, Y_tr, sw_tr, X_val, self._targets_for_score(Y_val), sw_val

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going "
                          "to be clipped")
        return int(np.clip(self.batch_size, 1, n_samples))

    def _train_batch(self, net, flat_Ws, grads, opt, xb, yb, swb, labels, delta_buf):
        """One forward, backward and solver step on a batch; returns the batch's loss (taken
        before the step, L2 term included, as scikit-learn reports it). flat_Ws: each weight
        matrix as a flat view, for the L2 term."""
        Ws, bs, acts, params = net
        dWs, dbs, no_accumulate = grads
        n = xb.shape[0]
        ys, zs = _kernels.dense_stack_forward(xb, Ws, bs, acts, params, True)
        sw_sum = n if swb is None else swb.sum()
        sq = 0.0
        for flat in flat_Ws:
            sq += np.dot(flat, flat)
        # dLoss/dz of the output layer is P - Y (see _outputs), averaged over the batch
        delta = delta_buf[:n]
        loss = (_outputs.loss_and_delta(self.out_activation_, ys[-1], yb, swb, labels,
                                        opt.lr_scale() / sw_sum, delta)
                + (0.5 * self.alpha) * sq / sw_sum)
        _kernels.dense_stack_backward(xb, ys, zs, Ws, acts, params, delta, False, dWs, dbs,
                                      no_accumulate)
        opt.step(Ws, bs, dWs, dbs, self.alpha / sw_sum)
        return loss

    def _fit_stochastic(self, X, Y, sample_weight, incremental):
        net = self._stack()
        Ws, bs = net[0], net[1]
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_solver(Ws, bs)
        opt = self._optimizer
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        X_val = y_val = sw_val = None
        if early_stopping:
            X, Y, sample_weight, X_val, y_val, sw_val = self._split_validation(
                X, Y, sample_weight)
        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        labels = (np.ascontiguousarray(Y.argmax(axis=1), dtype=np.int64)
                  if self.out_activation_ == "softmax" else None)
        grads = ([np.empty_like(W) for W in Ws], [np.empty_like(b) for b in bs],
                 [False] * len(Ws))
        delta_buf = np.empty((batch_size, self.n_outputs_), dtype=Ws[0].dtype)
        Y_read = (None if _outputs.labels_suffice(self.out_activation_, labels, sample_weight)
                  else Y)
        batches = Batches(X, Y_read, labels, sample_weight, batch_size)
        flat_Ws = [c.ravel(order="K") for c in self.coefs_]  # views: coefs_ is contiguous
        n_batches = len(batches.bounds)
        # Subnormal values slow the CPU down (see flush_subnormals); they take a few hundred
        # steps to appear, so a flush every 128 steps or so is enough.
        flush_every = max(1, 128 // n_batches)
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                if self.shuffle:
                    # scikit-learn's shuffle(sample_idx, random_state): the same draw, without
                    # its per-call validation (a noticeable cost on small data sets)
                    batches.shuffle(self._random_state)
                accumulated_loss = 0.0
                bar = (EpochBar(self.n_iter_ + 1, n_batches) if self.verbose >= 2 else None)
                for i in range(n_batches):
                    xb, yb, lab, swb = batches.batch(i)
                    accumulated_loss += xb.shape[0] * self._train_batch(
                        net, flat_Ws, grads, opt, xb, yb, swb, lab, delta_buf)
                    if bar is not None:
                        bar.update(i + 1)
                if bar is not None:
                    bar.close()
                self.n_iter_ += 1
                if self.n_iter_ % flush_every == 0:
                    flush_subnormals(Ws + bs + opt.state())
                self.loss_ = float(accumulated_loss / n_samples)
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
                self._update_no_improvement_count(early_stopping, X_val, y_val, sw_val)
                opt.iteration_ends(self.t_)
                if self._no_improvement_count > self.n_iter_no_change:
                    what = "Validation score" if early_stopping else "Training loss"
                    msg = ("%s did not improve more than tol=%f for %d consecutive epochs."
                           % (what, self.tol, self.n_iter_no_change))
                    if opt.trigger_stopping(msg, self.verbose):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn("Stochastic Optimizer: Maximum iterations (%d) reached and "
                                  "the optimization hasn't converged yet." % self.max_iter,
                                  ConvergenceWarning)
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
        flush_subnormals(Ws + bs + opt.state())
        if early_stopping:  # restore the best weights, as scikit-learn does
            self.coefs_ = self._best_coefs
            self.intercepts_ = self._best_intercepts

    def _update_no_improvement_count(self, early_stopping, X_val, y_val, sw_val):
        if early_stopping:
            score = self._score(X_val, y_val, sw_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print("Validation score: %f" % score)
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_coefs = [c.copy(order="F") for c in self.coefs_]
                self._best_intercepts = [b.copy() for b in self.intercepts_]
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    # ---- L-BFGS ----------------------------------------------------------------------------

    def _unpack(self, packed):
        """Copies the packed parameters (scikit-learn's order: every coefs_[i] row-major, then
        every intercepts_[i]) into coefs_ and intercepts_."""
        pos = 0
        for c in self.coefs_ + self.intercepts_:
            c[...] = packed[pos:pos + c.size].reshape(c.shape)
            pos += c.size

    def _loss_grad(self, packed, X, Y, sample_weight):
        """Loss and gradient of the whole data set at the packed parameters (see _unpack)."""
        self._unpack(packed)
        Ws, bs, acts, params = self._stack()
        ys, zs = _kernels.dense_stack_forward(X, Ws, bs, acts, params, True)
        P = _outputs.activate(self.out_activation_, ys[-1])
        sw_sum = X.shape[0] if sample_weight is None else sample_weight.sum()
        sq = sum(np.dot(W.ravel(), W.ravel()) for W in Ws)
        loss = (_outputs.loss(self.out_activation_, Y, P, sample_weight)
                + (0.5 * self.alpha) * sq / sw_sum)
        delta = P - Y
        if sample_weight is not None:
            delta *= sample_weight[:, None]
        delta /= sw_sum
        dWs = [np.empty_like(W) for W in Ws]
        dbs = [np.empty_like(b) for b in bs]
        _kernels.dense_stack_backward(X, ys, zs, Ws, acts, params, delta, False, dWs, dbs,
                                      [False] * len(Ws))
        grads = [(dW + (self.alpha / sw_sum) * W).T.ravel() for dW, W in zip(dWs, Ws)]
        return float(loss), np.concatenate(grads + dbs).astype(np.float64)

    def _fit_lbfgs(self, X, Y, sample_weight):
        self._stack()  # coefs_ in the model's layout and dtype
        packed = np.concatenate([c.ravel() for c in self.coefs_] + list(self.intercepts_))
        result = scipy.optimize.minimize(
            self._loss_grad, packed, method="L-BFGS-B", jac=True,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
            args=(X, Y, sample_weight))
        self.n_iter_ = min(result.nit, self.max_iter)
        if result.status != 0:
            msg = (f"lbfgs failed to converge after {self.n_iter_} iteration(s) "
                   f"(status={result.status}):\n{result.message}\n")
            if self.n_iter_ == self.max_iter:
                msg += "\nIncrease the number of iterations to improve the convergence."
            warnings.warn(msg, ConvergenceWarning, stacklevel=3)
        self.loss_ = float(result.fun)
        self._unpack(result.x)

    # ---- shared methods --------------------------------------------------------------------

    def _score_with(self, metric, X, y, sample_weight):
        """metric(y, predictions) without input validation (feature names are kept); NaN if
        the network's predictions are not finite."""
        pred = self._predict(X, check_input=False)
        if np.issubdtype(pred.dtype, np.floating) and not np.isfinite(pred).all():
            return np.nan
        return metric(y, pred, sample_weight=sample_weight)

    def _check_solver(self):
        if self.solver == "lbfgs":
            raise AttributeError("partial_fit is only available for stochastic optimizers. "
                                 "lbfgs is not stochastic.")
        return True

    def _check_fitted(self):
        check_is_fitted(self, "coefs_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
