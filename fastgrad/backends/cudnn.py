"""fg.backends.cudnn: settings scripts set for reproducibility; without CUDA they change nothing
(fastgrad is deterministic for a given seed and thread count)."""

deterministic = False
benchmark = False
enabled = True


def is_available():
    """False: fastgrad has no cuDNN (torch.backends.cudnn.is_available)."""
    return False
