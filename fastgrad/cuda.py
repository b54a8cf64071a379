"""fg.cuda: the part of torch.cuda that CPU-only code calls. fastgrad has no CUDA."""


def is_available():
    """False: fastgrad runs on the CPU only (torch.cuda.is_available)."""
    return False


def device_count():
    """0: no CUDA devices (torch.cuda.device_count)."""
    return 0


def manual_seed(seed):
    """Does nothing, as torch.cuda.manual_seed does without CUDA; seed the CPU with
    fastgrad.manual_seed."""


def manual_seed_all(seed):
    """Does nothing, as torch.cuda.manual_seed_all does without CUDA."""
