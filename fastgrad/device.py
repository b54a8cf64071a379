"""fg.device: where a tensor lives. fastgrad computes on the CPU only.

PyTorch code names devices everywhere (`device="cpu"`, `.to(device)`, `.cpu()`); for the CPU
all of these are accepted and do nothing. A device object for another type can be made, as in
PyTorch (`fg.device("cuda")` is only a name), but any attempt to put a tensor there raises,
saying that fastgrad runs on the CPU.
"""

# The device types PyTorch knows by name; anything else is a typo and refused at once.
_KNOWN_TYPES = ("cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "ipu", "hpu", "vulkan",
                "mtia", "privateuseone")


class device:
    """A device name, as torch.device: device("cpu"), device("cuda:0"), device("cuda", 1)."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, int) and not isinstance(type, bool):  # torch: a CUDA ordinal
            type, index = "cuda", type
        elif not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu', got {type!r}")
        else:
            name, _, idx = type.partition(":")
            if idx:
                if not idx.isdigit() or index is not None:
                    raise ValueError(f"device: invalid device string {type!r}")
                index = int(idx)
            type = name
        if type not in _KNOWN_TYPES:
            raise ValueError(f"device: unknown device type {type!r} (fastgrad runs on 'cpu')")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)
                                  or index < 0):
            raise ValueError(f"device: index must be a non-negative int, got {index!r}")
        self.type, self.index = type, index

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (TypeError, ValueError):
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"


CPU = device("cpu")


def check(dev, where="device"):
    """The CPU device when `dev` (None, a string, an int or a device) names the CPU; otherwise
    a RuntimeError naming `where` and saying fastgrad has only the CPU."""
    if dev is None:
        return CPU
    d = dev if isinstance(dev, device) else device(dev)
    if d.type != "cpu":
        raise RuntimeError(f"{where}={str(d)!r} is not available: fastgrad runs on the CPU only "
                           "(use 'cpu'; fastgrad.cuda.is_available() is False)")
    return CPU


def looks_like_device(obj):
    """Whether a positional argument of .to() names a device rather than a dtype."""
    if isinstance(obj, device):
        return True
    if isinstance(obj, str):
        return obj.partition(":")[0] in _KNOWN_TYPES
    return False


_default = CPU


def set_default_device(dev):
    """Device of new tensors (torch.set_default_device); only the CPU (or None) is accepted."""
    check(dev, "set_default_device")


def get_default_device():
    """The device new tensors are made on: always the CPU."""
    return _default


def parse_to(args, kwargs, where):
    """The dtype (or None) and copy flag of a .to(...) call, as PyTorch reads its arguments:
    to(dtype), to(device), to(device, dtype), to(other_tensor), to(device=..., dtype=...).
    Devices are checked to be the CPU."""
    from .dtypes import resolve  # dtypes needs nothing from here; imported late to stay light

    kwargs = dict(kwargs)
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"{where}: unexpected keyword argument {next(iter(kwargs))!r}")
    if len(args) > 2:
        raise TypeError(f"{where}: expected at most a device and a dtype, got {len(args)} "
                        "positional arguments")
    for a in args:
        if hasattr(a, "dtype") and hasattr(a, "grad_fn"):  # another tensor: its dtype
            dtype = a.dtype
        elif looks_like_device(a) or type(a) is int:  # an int is a CUDA ordinal
            dev = a
        else:
            dtype = a
    check(dev, f"{where}: device")
    return resolve(dtype, f"{where}: dtype"), copy
