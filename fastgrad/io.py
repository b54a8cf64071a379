"""Checkpoints: `save(state_dict, path)` and `load(path)` in the safetensors format, never pickle.

A flat dict {str: array} (a module's state_dict) becomes one tensor per key, so
`safetensors.torch.load_file` reads it straight into PyTorch. Values may be NumPy arrays, fastgrad
Tensors (their `.data`) or Python/NumPy numbers (stored as 0-d arrays, loaded back as 0-d arrays).

Nested containers (an optimizer's or scheduler's state_dict) are flattened: each array or number
is stored under its dotted path ("state.0.exp_avg", "param_groups.0.lr"), and the file's metadata
entry "fastgrad.nested" holds a JSON outline of the structure (dict keys with their str/int type,
lists, tuples, and the None and str leaves that have no tensor form), from which `load` restores
the nesting. Other safetensors readers simply see the flat tensors.

Saving is atomic: the bytes go to a temporary file in the target's directory, are flushed and
fsynced, and the temporary replaces the target in one rename; on any failure it is removed and
the previous file is untouched. Loading checks the header against the file's real size before
anything is parsed or allocated, and reports a damaged or hostile file as a ValueError naming it.
"""
import json
import os
import secrets

import numpy as np
import safetensors.numpy

NESTED_METADATA_KEY = "fastgrad.nested"
_MAX_HEADER_BYTES = 100 * 1000 * 1000  # the safetensors library's own limit
_ITEMSIZE = {"F64": 8, "F32": 4, "F16": 2, "I64": 8, "U64": 8, "I32": 4, "U32": 4, "I16": 2,
             "U16": 2, "I8": 1, "U8": 1, "BOOL": 1, "C64": 8}  # what safetensors.numpy reads
_SAVABLE_DTYPES = {np.dtype(t) for t in (np.float16, np.float32, np.float64, np.int8, np.int16,
                                          np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                                          np.uint64, np.bool_, np.complex64)}


# ---- save -------------------------------------------------------------------------------------
def save(state_dict, path):
    """Write `state_dict` (str keys; arrays, Tensors, numbers, or nested containers) to `path`."""
    if not isinstance(state_dict, dict):
        raise TypeError(f"save expects a dict, got {type(state_dict).__name__}")
    for key in state_dict:
        if not isinstance(key, str):
            raise TypeError(f"save: keys must be str, got {key!r} ({type(key).__name__})")
    tensors = {}
    if all(_is_leaf(v) for v in state_dict.values()):
        for key, value in state_dict.items():
            tensors[key] = _to_savable_array(value, key)
        metadata = None
    else:
        outline = _flatten(state_dict, "", tensors)
        metadata = {NESTED_METADATA_KEY: json.dumps(outline)}
    data = safetensors.numpy.save(tensors, metadata=metadata)
    _write_atomically(os.fspath(path), data)


def _is_leaf(value):
    return (isinstance(value, (np.ndarray, np.generic, bool, int, float))
            or isinstance(getattr(value, "data", None), np.ndarray))


def _to_savable_array(value, key):
    if isinstance(value, np.ndarray):
        array = value
    elif isinstance(getattr(value, "data", None), np.ndarray):  # a fastgrad Tensor
        array = value.data
    elif isinstance(value, (bool, int, float, np.generic)):
        array = np.asarray(value)
    else:
        raise TypeError(f"save: {key!r} is a {type(value).__name__}, which cannot be stored")
    if array.dtype.newbyteorder("=") not in _SAVABLE_DTYPES:
        raise TypeError(f"save: {key!r} has dtype {array.dtype}, which safetensors cannot store")
    # safetensors reads the raw buffer: it must be C-contiguous (and is stored little-endian).
    return array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)


def _flatten(value, name, tensors):
    """Fill `tensors` with the array leaves of `value`; return the JSON outline of `value`."""
    if isinstance(value, dict):
        entries = []
        for key, child in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"save: nested keys must be str or int, got {key!r} at "
                                f"{name or 'the top level'}")
            entries.append([key, _flatten(child, _join(name, key), tensors)])
        return {"dict": entries}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_flatten(child, _join(name, i), tensors) for i, child in enumerate(value)]}
    if value is None:
        return {"none": None}
    if isinstance(value, str):
        return {"str": value}
    if name in tensors:
        raise ValueError(f"save: two entries flatten to the same key {name!r}")
    tensors[name] = _to_savable_array(value, name)
    return {"tensor": name}


def _join(prefix, key):
    return f"{prefix}.{key}" if prefix else str(key)


def _write_atomically(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    try:
        keep_mode = os.stat(path).st_mode & 0o7777  # an existing file keeps its permissions
    except OSError:
        keep_mode = None
    fd, tmp_path = _create_temporary(directory, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if keep_mode is not None:
            os.chmod(tmp_path, keep_mode)
        os.replace(tmp_path, path)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)  # make the rename itself durable


def _create_temporary(directory, name):
    """A new file beside the target, created 0666 so the OS applies the process umask itself
    (reading the umask means setting it, which races with other threads)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp_path = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp_path, flags, 0o666), tmp_path
        except FileExistsError:
            continue
    raise FileExistsError(f"save: could not create a temporary file in {directory}")


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not possible on every platform; the data itself is already synced
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---- load -------------------------------------------------------------------------------------
def load(path):
    """Read a file written by `save` (or any safetensors file) -> dict of NumPy arrays.

    Nested structure saved by `save` is restored. Raises ValueError naming the file when it is
    not a valid safetensors file.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise ValueError(f"{path}: not a safetensors file ({size} bytes, shorter than the "
                             "8-byte header length)")
        header_len = int.from_bytes(f.read(8), "little")
        if header_len > size - 8:
            raise ValueError(f"{path}: not a safetensors file (header length {header_len} "
                             f"exceeds the {size - 8} bytes that follow it)")
        if header_len > _MAX_HEADER_BYTES:
            raise ValueError(f"{path}: header of {header_len} bytes exceeds the safetensors "
                             f"limit of {_MAX_HEADER_BYTES}")
        f.seek(0)
        blob = f.read()
    if len(blob) != size:
        raise ValueError(f"{path}: the file changed size while being read")
    header = _parse_header(blob[8:8 + header_len], size - 8 - header_len, path)
    try:
        arrays = safetensors.numpy.load(blob)
    except Exception as exc:  # the library's own checks (e.g. gaps between tensors)
        raise ValueError(f"{path}: invalid safetensors file: {exc}") from exc
    # np.frombuffer views of a bytes object are read-only; hand out ordinary arrays.
    arrays = {name: np.array(a) for name, a in arrays.items()}
    outline = header.get("__metadata__", {}).get(NESTED_METADATA_KEY)
    if outline is None:
        return arrays
    try:
        restored = _unflatten(json.loads(outline), arrays)
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        raise ValueError(f"{path}: malformed {NESTED_METADATA_KEY!r} metadata: {exc}") from exc
    if not isinstance(restored, dict):
        raise ValueError(f"{path}: malformed {NESTED_METADATA_KEY!r} metadata: not a dict")
    return restored


def _parse_header(raw, data_len, path):
    """Validate the JSON header against the data that follows it; return it as a dict."""
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"{path}: not a safetensors file (header is not JSON: {exc})") from exc
    if not isinstance(header, dict):
        raise ValueError(f"{path}: not a safetensors file (header is not a JSON object)")
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError(f"{path}: __metadata__ must map strings to strings")
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict):
            raise ValueError(f"{path}: tensor {name!r}: entry is not an object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in _ITEMSIZE:
            raise ValueError(f"{path}: tensor {name!r}: unknown or unsupported dtype {dtype!r}")
        if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
            raise ValueError(f"{path}: tensor {name!r}: invalid shape {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(_is_count(o) for o in offsets)):
            raise ValueError(f"{path}: tensor {name!r}: invalid data_offsets {offsets!r}")
        begin, end = offsets
        if not begin <= end <= data_len:
            raise ValueError(f"{path}: tensor {name!r}: data_offsets {offsets} out of range "
                             f"(the data section has {data_len} bytes)")
        if _nbytes(shape, _ITEMSIZE[dtype], end - begin) != end - begin:
            raise ValueError(f"{path}: tensor {name!r}: shape {shape} of {dtype} does not fit "
                             f"the {end - begin} bytes its offsets span")
        spans.append((begin, end, name))
    spans.sort()
    for (_, prev_end, prev_name), (begin, _, name) in zip(spans, spans[1:]):
        if begin < prev_end:
            raise ValueError(f"{path}: tensors {prev_name!r} and {name!r} overlap")
    return header


def _nbytes(shape, itemsize, limit):
    """prod(shape) * itemsize, or limit + 1 as soon as it exceeds limit (no huge bignums)."""
    if 0 in shape:
        return 0
    total = itemsize
    for dim in shape:
        total *= dim
        if total > limit:
            return limit + 1
    return total


def _is_count(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _unflatten(outline, arrays):
    if not isinstance(outline, dict) or len(outline) != 1:
        raise ValueError(f"unexpected node {outline!r}")
    (kind, body), = outline.items()
    if kind == "tensor":
        return arrays[body]
    if kind == "dict":
        result = {}
        for key, child in body:
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"invalid key {key!r}")
            result[key] = _unflatten(child, arrays)
        return result
    if kind == "list":
        return [_unflatten(child, arrays) for child in body]
    if kind == "tuple":
        return tuple(_unflatten(child, arrays) for child in body)
    if kind == "none":
        return None
    if kind == "str" and isinstance(body, str):
        return body
    raise ValueError(f"unexpected node {outline!r}")
