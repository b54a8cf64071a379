"""fastgrad.data: the same objects as fastgrad.utils.data (PyTorch's path), kept as a short
name."""
from .utils.data import *  # noqa: F401,F403
from .utils.data import __all__  # noqa: F401
