"""fastgrad.utils: helpers in torch.utils' places (fastgrad.utils.data)."""
from . import data

__all__ = ["data"]
