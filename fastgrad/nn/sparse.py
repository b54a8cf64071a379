"""Embedding: a lookup table of learnable rows, PyTorch's torch.nn.Embedding."""
import numpy as np

from . import _checks
from . import functional as F
from . import init
from .functional_layers import embedding_padding_idx
from .module import Module
from .parameter import Parameter
from ..tensor import Tensor


def _size(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"Embedding: {name} must be a non-negative int, got {value!r}")
    return int(value)


class Embedding(Module):
    """num_embeddings rows of embedding_dim values, looked up by integer index: input of any
    shape gives input.shape + (embedding_dim,). weight starts from N(0, 1) with the
    padding_idx row zero; that row gets no gradient. max_norm renormalises each row read to
    at most that norm, in place, as PyTorch does."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None) -> None:
        super().__init__()
        self.num_embeddings = _size(num_embeddings, "num_embeddings")
        self.embedding_dim = _size(embedding_dim, "embedding_dim")
        self.padding_idx = embedding_padding_idx(padding_idx, self.num_embeddings, "Embedding")
        self.max_norm = None if max_norm is None else _checks.number(max_norm, "max_norm",
                                                                      "Embedding")
        self.norm_type = _checks.number(norm_type, "norm_type", "Embedding")
        self.scale_grad_by_freq = bool(scale_grad_by_freq)
        if sparse:
            raise NotImplementedError("Embedding: sparse=True (sparse gradients) is not "
                                      "supported; fastgrad's gradients are dense")
        self.sparse = False
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(np.empty(shape, dtype=np.dtype(dtype or np.float32)),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            data = _weight._data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if data.shape != shape:
                raise ValueError(f"Embedding: _weight has shape {data.shape}, expected {shape} "
                                 "(num_embeddings, embedding_dim)")
            self.weight = Parameter(data.copy(), requires_grad=not _freeze)

    def reset_parameters(self):
        """weight from N(0, 1), the padding_idx row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is a copy of the 2-d `embeddings`; freeze=True (the
        default) leaves it out of training (requires_grad False)."""
        data = embeddings._data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if data.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-d, got shape "
                             f"{data.shape}")
        return cls(data.shape[0], data.shape[1], padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse,
                   _weight=data, _freeze=freeze)
