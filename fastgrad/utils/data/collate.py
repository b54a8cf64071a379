"""How a DataLoader turns a list of samples into a batch: PyTorch's default_collate rules.

Tensors and NumPy arrays are stacked into one Tensor (their dtype kept), Python floats become
a float64 Tensor and ints an int64 one (as in PyTorch), and containers are collated field by
field: a dict of batches for dict samples, a list of batches for tuple or list samples, the
same namedtuple for namedtuple samples. Strings are returned as the list they are.
"""
import collections.abc
import numbers

import numpy as np

from ... import _engine
from ...tensor import Tensor


# dtypes a Tensor holds as they are: an array of one of these, C-contiguous, is wrapped without
# the constructor's conversion, which is most of the cost of a batch of a few rows
_PLAIN_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.int64, np.int32,
                                                np.int16, np.int8, np.uint8, np.bool_))


def as_batch_tensor(array):
    """A Tensor over `array` keeping its dtype (no copy when it is already contiguous)."""
    if type(array) is np.ndarray and array.dtype in _PLAIN_DTYPES and array.flags.c_contiguous:
        return _engine.new_tensor(array, None)
    return Tensor(array, dtype=array.dtype)


def _stack(arrays):
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise RuntimeError(f"default_collate: stack expects each sample to be of equal size, "
                           f"got shapes {sorted(shapes)}")
    return as_batch_tensor(np.stack(arrays))


def default_collate(batch):
    """Collate a list of samples into a batch (torch.utils.data.default_collate)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([np.asarray(s.data) for s in batch])
    if isinstance(elem, np.ndarray) and elem.dtype.kind not in "OUSV":
        return _stack([np.asarray(s) for s in batch])
    if isinstance(elem, np.generic) and elem.dtype.kind not in "OUSV":
        return as_batch_tensor(np.array(batch))
    if isinstance(elem, bool):
        return as_batch_tensor(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return as_batch_tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return as_batch_tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: default_collate([s[key] for s in batch]) for key in elem}
        try:
            return type(elem)(fields)
        except TypeError:  # a mapping type that cannot be built from a dict
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        sizes = {len(s) for s in batch}
        if len(sizes) != 1:
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               f"equal size, got sizes {sorted(sizes)}")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(elem).__name__}")


def default_convert(sample):
    """One sample as the loader gives it when batch_size=None: NumPy arrays become Tensors,
    containers are converted field by field, anything else is returned as it is
    (torch.utils.data.default_convert)."""
    if isinstance(sample, np.ndarray) and sample.dtype.kind not in "OUSV":
        return as_batch_tensor(sample)
    if isinstance(sample, collections.abc.Mapping):
        fields = {key: default_convert(v) for key, v in sample.items()}
        try:
            return type(sample)(fields)
        except TypeError:
            return fields
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, tuple):
        return [default_convert(v) for v in sample]
    if isinstance(sample, collections.abc.Sequence) and not isinstance(sample, (str, bytes)):
        return [default_convert(v) for v in sample]
    return sample
