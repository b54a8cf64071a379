"""fg.backends.mps: Apple's Metal backend, absent in fastgrad."""


def is_available():
    """False: fastgrad runs on the CPU only (torch.backends.mps.is_available)."""
    return False


def is_built():
    """False: fastgrad is not built with MPS (torch.backends.mps.is_built)."""
    return False
