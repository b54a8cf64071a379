"""fg.accelerator: PyTorch's device-agnostic accelerator query; fastgrad has none."""


def is_available():
    """False: fastgrad runs on the CPU only (torch.accelerator.is_available)."""
    return False


def current_accelerator(check_available=False):
    """None: there is no accelerator (torch.accelerator.current_accelerator)."""
    return None


def device_count():
    """0: no accelerators (torch.accelerator.device_count)."""
    return 0
