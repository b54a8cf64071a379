"""scikit-learn's stochastic solvers for the MLP, run by fastgrad's optimizer kernels.

scikit-learn writes its updates differently from PyTorch, and each is mapped onto PyTorch's
kernel so that the arithmetic is the same up to rounding:

SGD (scikit-learn): v = momentum * v - lr * g; the step is v, or with Nesterov
    momentum * v - lr * g. PyTorch's SGD with lr = 1 fed the gradient lr * g keeps
    buf = momentum * buf + lr * g = -v, and steps by -buf (or -(lr * g + momentum * buf)):
    the same. Folding lr into the gradient keeps that true when lr changes between steps
    ('invscaling', 'adaptive'), where PyTorch's buffer alone would not.
Adam (scikit-learn): step = -lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps).
    PyTorch: -lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps'), equal when
    eps' = eps / sqrt(1 - b2^t).

The L2 penalty alpha * W / n (weights only, not intercepts) is the kernel's coupled weight
decay, so the weights and the intercepts are two kernel calls.

The gradient handed to `step` is the data term only, already divided by the batch's weight sum
(and, for SGD, multiplied by `lr_scale()`: the backward pass scales it for free).
"""
import math

import numpy as np

from .. import _kernels


class SGD:
    """scikit-learn's SGDOptimizer: momentum, Nesterov, and the 'constant', 'invscaling' and
    'adaptive' learning-rate schedules."""

    def __init__(self, weights, biases, learning_rate_init, schedule, momentum, nesterov,
                 power_t):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.schedule, self.momentum, self.nesterov, self.power_t = (schedule, momentum,
                                                                     nesterov, power_t)
        self.buf_w = [np.zeros_like(W) for W in weights]
        self.buf_b = [np.zeros_like(b) for b in biases]

    def lr_scale(self):
        """The factor the gradient must carry into `step` (see the module docstring)."""
        return self.learning_rate

    def state(self):
        """The solver's arrays (momentum buffers)."""
        return self.buf_w + self.buf_b

    def step(self, weights, biases, grad_w, grad_b, l2):
        """One update; l2 = alpha / (the batch's weight sum), the penalty on the weights."""
        mom = self.momentum
        _kernels.sgd_step_many(weights, grad_w, self.buf_w, 1.0, mom, 0.0,
                               l2 * self.learning_rate, self.nesterov, False)
        _kernels.sgd_step_many(biases, grad_b, self.buf_b, 1.0, mom, 0.0, 0.0, self.nesterov,
                               False)

    def iteration_ends(self, samples_seen):
        """Called after each epoch with the number of samples seen so far (t_)."""
        if self.schedule == "invscaling":
            self.learning_rate = (float(self.learning_rate_init)
                                  / (samples_seen + 1) ** self.power_t)

    def trigger_stopping(self, msg, verbose):
        """No improvement for n_iter_no_change epochs: True to stop; 'adaptive' divides the
        learning rate by 5 instead, until it falls to 1e-6."""
        if self.schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False


class Adam:
    """scikit-learn's AdamOptimizer (its learning rate is constant; no schedule)."""

    def __init__(self, weights, biases, learning_rate_init, beta_1, beta_2, epsilon):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.m_w = [np.zeros_like(W) for W in weights]
        self.v_w = [np.zeros_like(W) for W in weights]
        self.m_b = [np.zeros_like(b) for b in biases]
        self.v_b = [np.zeros_like(b) for b in biases]

    def lr_scale(self):
        return 1.0

    def state(self):
        """The solver's arrays (first and second moments)."""
        return self.m_w + self.v_w + self.m_b + self.v_b

    def step(self, weights, biases, grad_w, grad_b, l2):
        self.t += 1
        t = self.t
        bc2 = 1 - self.beta_2 ** t
        eps = self.epsilon / math.sqrt(bc2)
        self.learning_rate = self.learning_rate_init * math.sqrt(bc2) / (1 - self.beta_1 ** t)
        steps = [t] * len(weights)
        _kernels.adam_step_many(weights, grad_w, self.m_w, self.v_w, None,
                                self.learning_rate_init, self.beta_1, self.beta_2, eps, l2,
                                False, steps)
        _kernels.adam_step_many(biases, grad_b, self.m_b, self.v_b, None,
                                self.learning_rate_init, self.beta_1, self.beta_2, eps, 0.0,
                                False, steps)

    def iteration_ends(self, samples_seen):
        pass

    def trigger_stopping(self, msg, verbose):
        if verbose:
            print(msg + " Stopping.")
        return True
