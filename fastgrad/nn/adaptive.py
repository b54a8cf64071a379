"""AdaptiveLogSoftmaxWithLoss: an efficient softmax over many classes sorted by frequency
(Grave et al., "Efficient softmax approximation for GPUs"), as torch.nn.AdaptiveLogSoftmaxWithLoss.

The head scores the frequent classes (the shortlist, below cutoffs[0]) and one entry per tail
cluster; a class in cluster i gets log p(cluster i | x) + log p(class | x, cluster i), the
second from a small two-layer projection whose hidden size shrinks by div_value per cluster.
"""
from collections import namedtuple

import numpy as np

from ..tensor import Tensor
from . import functional as F
from .containers import ModuleList
from .layers import Linear, Sequential
from .module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax (torch.nn.AdaptiveLogSoftmaxWithLoss). forward(input, target) returns
    (output, loss): each row's log-probability of its target and their negated mean.

    cutoffs: increasing class boundaries of the clusters, each in [1, n_classes - 1].
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False,
                 device=None, dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted "
                             "in an increasing order, where each value is between 1 and "
                             f"n_classes-1 (got cutoffs={cutoffs}, n_classes={n_classes})")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = [int(c) for c in cutoffs] + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False),
                                        Linear(hidden, size, bias=False)))
        if dtype is not None:
            self.to(dtype)

    def reset_parameters(self):
        """Re-initialise the head and every tail projection."""
        self.head.reset_parameters()
        for projection in self.tail:
            for layer in projection:
                layer.reset_parameters()

    def forward(self, input, target):
        x = input if isinstance(input, Tensor) else Tensor(np.asarray(input))
        t = np.asarray(target._data if isinstance(target, Tensor) else target)
        if t.dtype.kind not in "iu":
            raise TypeError(f"AdaptiveLogSoftmaxWithLoss: target must hold class indices, got "
                            f"dtype {t.dtype}")
        batched = t.ndim == 1
        if batched:
            if x.ndim != 2:
                raise RuntimeError("1D target tensor expects 2D input tensors, but found "
                                   f"inputs with size {tuple(x.shape)}")
            if x.shape[0] != t.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch "
                                   "dimension.")
        elif t.ndim == 0:
            if x.ndim != 1:
                raise RuntimeError("0D target tensor expects 1D input tensors, but found "
                                   f"inputs with size {tuple(x.shape)}")
            x, t = x.unsqueeze(0), t.reshape(1)
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise ValueError(f"Target values should be in [0, {self.n_classes - 1}], but "
                             f"values in range [{t.min()}, {t.max()}] were found. ")
        n = t.shape[0]
        # the head entry each row reads: its class, or its cluster's entry
        head_index = t.copy()
        output = None
        for i in range(1, len(self.cutoffs)):
            low, high = self.cutoffs[i - 1], self.cutoffs[i]
            rows = np.nonzero((t >= low) & (t < high))[0]
            if rows.size == 0:
                continue
            head_index[rows] = self.shortlist_size + i - 1
            cluster_logprob = F.log_softmax(self.tail[i - 1](x[rows]), dim=1)
            local = cluster_logprob.gather(1, Tensor((t[rows] - low)[:, None])).reshape(-1)
            # put the rows' values in place: a 0/1 matrix keeps it one differentiable matmul
            place = np.zeros((n, rows.size), dtype=x.dtype)
            place[rows, np.arange(rows.size)] = 1
            placed = Tensor(place) @ local
            output = placed if output is None else output + placed
        head_logprob = F.log_softmax(self.head(x), dim=1)
        head_term = head_logprob.gather(1, Tensor(head_index[:, None])).reshape(-1)
        output = head_term if output is None else output + head_term
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.reshape(()), loss)

    def _full_log_prob(self, x, head_output):
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i, projection in enumerate(self.tail):
            cluster_logprob = F.log_softmax(projection(x), dim=1)
            entry = self.shortlist_size + i
            parts.append(cluster_logprob + head_logprob[:, entry:entry + 1])
        from .. import cat
        return cat(parts, dim=1)

    def log_prob(self, input):
        """Log-probabilities of every class, (N, n_classes) (or (n_classes,) for one sample)."""
        x = input if isinstance(input, Tensor) else Tensor(np.asarray(input))
        single = x.ndim == 1
        if single:
            x = x.unsqueeze(0)
        out = self._full_log_prob(x, self.head(x))
        return out.reshape(-1) if single else out

    def predict(self, input):
        """The most likely class of each row, as PyTorch decides it: the head's argmax when
        that is a shortlist class, else the argmax over all classes."""
        x = input if isinstance(input, Tensor) else Tensor(np.asarray(input))
        single = x.ndim == 1
        if single:
            x = x.unsqueeze(0)
        head_output = self.head(x)
        choice = np.argmax(head_output.numpy(), axis=1)
        outside = choice >= self.shortlist_size
        if outside.any():
            rows = np.nonzero(outside)[0]
            full = self._full_log_prob(x[rows], head_output[rows])
            choice[rows] = np.argmax(full.numpy(), axis=1)
        result = Tensor(choice.astype(np.int64))
        return result.reshape(()) if single else result
