"""Dropout: the module form of F.dropout; active in train mode, identity in eval mode."""
from . import _checks
from . import functional as F
from .module import Module


class Dropout(Module):
    """In train mode, zeroes elements with probability p, scales the rest by 1/(1-p) (torch.nn.Dropout)."""
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        p = _checks.number(p, "p", "Dropout")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
