"""fg.backends: PyTorch's backend switches that CPU code touches; fastgrad has only the CPU."""
from . import cudnn, mps

__all__ = ["cudnn", "mps"]
