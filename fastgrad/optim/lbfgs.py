"""L-BFGS, PyTorch's algorithm (NumPy): a quasi-Newton method that keeps the last
history_size pairs (s = step, y = change of gradient) and turns the gradient into a direction
by the two-loop recursion. Each `step(closure)` runs up to max_iter iterations, calling
closure() (which must zero the gradients, compute the loss, call backward() and return it) for
every evaluation, with a fixed step lr or, with line_search_fn="strong_wolfe", a step chosen
by a strong-Wolfe line search.

All parameters are seen as one flat vector (they must share a dtype). State, kept on the first
parameter under PyTorch's names: func_evals, n_iter, d, t, old_dirs, old_stps, ro, H_diag,
prev_flat_grad, prev_loss, al.
"""
import numbers

import numpy as np

from .._engine import modified_all
from ._line_search import strong_wolfe
from .optimizer import Optimizer, _checked_grad, check_hyperparameter, to_python


class LBFGS(Optimizer):
    """L-BFGS (torch.optim.LBFGS). One parameter group; step() needs the closure.

    max_eval: evaluations per step (default max_iter * 5 // 4). tolerance_grad: stop when
    every gradient entry is this small; tolerance_change: stop when the step or the change of
    the loss is this small. line_search_fn: None (fixed step lr) or "strong_wolfe".
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None) -> None:
        if max_eval is None and isinstance(max_iter, numbers.Integral):
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        dtypes = {p._data.dtype for p in self._params}
        if len(dtypes) > 1:
            raise TypeError("LBFGS: all params must share one dtype, got "
                            f"{sorted(map(str, dtypes))}")

    @property
    def _params(self):
        return self.param_groups[0]["params"]

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        for name in ("max_iter", "max_eval", "history_size"):
            value = group[name]
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"Invalid {name} value: {value!r} ({name} must be an "
                                 "integer >= 1)")
        for name in ("tolerance_grad", "tolerance_change"):
            check_hyperparameter(group, name)
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"line_search_fn must be None or 'strong_wolfe', got "
                             f"{group['line_search_fn']!r}")

    # ---- the parameters as one flat vector ------------------------------------------------
    def _flat_grad(self):
        return np.concatenate([
            np.zeros(p._data.size, p._data.dtype) if p._grad is None
            else _checked_grad(p).reshape(-1) for p in self._params])

    def _add_to_params(self, step_size, update):
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += (step_size * update[offset:offset + n]).reshape(p._data.shape)
            offset += n
        modified_all(self._params)

    def _set_params(self, values):
        for p, v in zip(self._params, values):
            p._data[...] = v
        modified_all(self._params)

    def _evaluate_at(self, closure, start, t, d):
        """(loss, flat gradient) at start + t d; the parameters are put back to start."""
        self._add_to_params(t, d)
        loss = float(closure())
        flat_grad = self._flat_grad()
        self._set_params(start)
        return loss, flat_grad

    # ---- the step ---------------------------------------------------------------------------
    def step(self, closure):
        """Up to max_iter L-BFGS iterations; returns the loss closure() gave at the start."""
        if closure is None:
            raise TypeError("LBFGS.step needs a closure that reevaluates the model and "
                            "returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:  # already optimal
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, prev_flat_grad = state.get("H_diag"), state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # the direction: steepest descent at first, then the two-loop recursion
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep the pair only where the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q += -al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]

            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            # the step: scaled down on the very first iteration, whose direction is raw
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction any more
                break

            evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                start = [p._data.copy() for p in self._params]
                loss, flat_grad, t, evals = strong_wolfe(
                    lambda step: self._evaluate_at(closure, start, step, d), t, d, loss,
                    flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_to_params(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_to_params(t, d)
                opt_cond = False
                if n_iter != max_iter:  # the last iteration's loss is not needed
                    loss = float(closure())
                    flat_grad = self._flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    evals = 1
            current_evals += evals
            state["func_evals"] += evals

            if (n_iter == max_iter or current_evals >= max_eval or opt_cond
                    or np.abs(d * t).max() <= tolerance_change
                    or abs(loss - prev_loss) < tolerance_change):
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    def load_state_dict(self, state_dict):
        """Restore a `state_dict()`: hyper-parameters as any optimizer, then the history
        (lists of flat vectors) copied as it is."""
        if not isinstance(state_dict, dict) or "state" not in state_dict:
            return super().load_state_dict(state_dict)  # which refuses it, saying why
        for key in state_dict["state"]:
            if int(to_python(key)) >= len(self._params):
                raise ValueError(f"loaded state dict has state for parameter {key}, "
                                 "which no parameter group lists")
        super().load_state_dict({**state_dict, "state": {}})
        for key, entries in state_dict["state"].items():
            self.state[self._params[int(to_python(key))]] = {
                name: _restored(value) for name, value in entries.items()}


def _restored(value):
    """A copy of a saved state entry: vectors as arrays, numbers as numbers, lists as lists."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [_restored(v) for v in value]
    if np.ndim(value) == 0:
        return to_python(np.asarray(value))
    return np.array(value, copy=True)
