"""Checkpoints: `save(state_dict, path)` and `load(path)` in the safetensors format, never pickle.

A flat dict {str: array} (a module's state_dict) becomes one tensor per key, so
`safetensors.torch.load_file` reads it straight into PyTorch. Values may be NumPy arrays, fastgrad
Tensors (their `.data`) or Python/NumPy numbers (stored as 0-d arrays, loaded back as 0-d arrays).

Nested containers (an optimizer's or scheduler's state_dict) are flattened: each array or number
is stored under its dotted path ("state.0.exp_avg", "param_groups.0.lr"), and the file's metadata
entry "fastgrad.nested" holds a JSON outline of the structure (dict keys with their str/int type,
lists, tuples, and the None and str leaves that have no tensor form), from which `load` restores
the nesting. Other safetensors readers simply see the flat tensors.

Where `save` writes:
- a regular file, or a new one: atomically. The bytes go to a temporary file beside the target
  (".NAME.fastgrad-tmp-PID-RANDOM"), are fsynced, and the temporary replaces the target in one
  rename; on any failure it is removed and the previous file is untouched. Temporaries that a
  killed save left behind (their process no longer runs) are removed by the next save of the
  same path.
- a symlink: the file it points to, replaced as above; the link stays a link.
- anything else (a FIFO, /dev/null, /dev/stdout, a terminal): straight through, as `torch.save`
  does. Renaming over such a node would destroy it (as root, `/dev/null` itself).

How `load` reads: only regular files (a FIFO or device is refused before anything could block).
The safetensors library parses and checks the header (lengths, offsets, shapes, dtypes, overlaps,
gaps, JSON types); fastgrad then reads each tensor with one read(2) straight into the array it
returns, which owns its memory. No mapping of the file outlives the call: an
array backed by a file mapping changes when another program rewrites the file in place
(safetensors' own `save_file`, `cp`, `rsync --inplace` all do) and faults with SIGBUS once the
file is truncated, even copy-on-write (MAP_PRIVATE) pages until they are written. Reading is
as fast as the library's mapping reader and peaks at half its memory (benchmarks/bench_io.py).
"""
import json
import os
import secrets
import stat
from io import FileIO
from typing import Any, Dict, Optional, Union

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError, safe_open

PathLike = Union[str, "os.PathLike[str]"]

NESTED_METADATA_KEY = "fastgrad.nested"
_TEMPORARY_MARK = ".fastgrad-tmp-"  # in ".NAME.fastgrad-tmp-PID-RANDOM"
# The safetensors dtypes NumPy can hold (not BF16 or the F8 types), as stored: little-endian.
_NUMPY_DTYPES = {name: np.dtype(code) for name, code in [
    ("F64", "<f8"), ("F32", "<f4"), ("F16", "<f2"), ("I64", "<i8"), ("U64", "<u8"),
    ("I32", "<i4"), ("U32", "<u4"), ("I16", "<i2"), ("U16", "<u2"), ("I8", "i1"), ("U8", "u1"),
    ("BOOL", "?"), ("C64", "<c8")]}
_SAVABLE_DTYPES = {np.dtype(t) for t in (np.float16, np.float32, np.float64, np.int8, np.int16,
                                          np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                                          np.uint64, np.bool_, np.complex64)}


# ---- save -------------------------------------------------------------------------------------
def save(state_dict: Dict[str, Any], path: PathLike) -> None:
    """Write `state_dict` (str keys; arrays, Tensors, numbers, or nested containers) to `path`
    as a safetensors file (torch.save's place; the module docstring says how each kind of path
    is written)."""
    if not isinstance(state_dict, dict):
        raise TypeError(f"save expects a dict, got {type(state_dict).__name__}")
    for key in state_dict:
        if not isinstance(key, str):
            raise TypeError(f"save: keys must be str, got {key!r} ({type(key).__name__})")
    tensors: Dict[str, np.ndarray] = {}
    if all(_is_leaf(v) for v in state_dict.values()):
        for key, value in state_dict.items():
            tensors[key] = _to_savable_array(value, key)
        metadata = None
    else:
        outline = _flatten(state_dict, "", tensors)
        metadata = {NESTED_METADATA_KEY: json.dumps(outline)}
    data = safetensors.numpy.save(tensors, metadata=metadata)
    _write(os.fspath(path), data)


def _is_leaf(value):
    return (isinstance(value, (np.ndarray, np.generic, bool, int, float))
            or isinstance(getattr(value, "_data", None), np.ndarray))


def _to_savable_array(value, key):
    if isinstance(value, np.ndarray):
        array = value
    elif isinstance(getattr(value, "_data", None), np.ndarray):  # a fastgrad Tensor
        array = value._data
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


def _write(path: str, data: bytes) -> None:
    """Write `data` to `path`: through a symlink to its target, straight into a node that is
    not a regular file, atomically into a regular or new file."""
    try:
        info: Optional[os.stat_result] = os.stat(path)  # of what the symlinks lead to
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_through(path, data, truncate=False)
        return
    target = os.path.realpath(path)  # every symlink on the way resolved, a dangling one too
    if info is not None and not _same_file(target, info):
        # A link that names no path, such as /dev/stdout -> /proc/self/fd/1 redirected to a
        # file: the file can only be written through it.
        _write_through(path, data, truncate=True)
        return
    _write_atomically(target, data, None if info is None else info.st_mode)


def _same_file(path: str, info: os.stat_result) -> bool:
    try:
        other = os.stat(path)
    except OSError:
        return False
    return (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino)


def _write_through(path: str, data: bytes, truncate: bool) -> None:
    """Write into an existing FIFO, device or terminal as it is: no temporary, no rename (a FIFO
    blocks until a reader opens it, as any writer to a pipe does)."""
    flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags | (os.O_TRUNC if truncate else 0))
    try:
        view = memoryview(data)
        while view:  # a pipe may take less than asked for
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _write_atomically(path: str, data: bytes, old_mode: Optional[int]) -> None:
    directory, name = os.path.split(path)
    _remove_stale_temporaries(directory, name)
    fd, tmp_path = _create_temporary(directory, name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if old_mode is not None:
            os.chmod(tmp_path, old_mode & 0o7777)  # a replaced file keeps its permissions
        os.replace(tmp_path, path)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)  # make the rename itself durable


def _create_temporary(directory: str, name: str):
    """A new file beside the target, created 0666 so the OS applies the process umask itself
    (reading the umask means setting it, which races with other threads)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp_path = os.path.join(
            directory, f".{name}{_TEMPORARY_MARK}{os.getpid()}-{secrets.token_hex(4)}")
        try:
            return os.open(tmp_path, flags, 0o666), tmp_path
        except FileExistsError:
            continue
    raise FileExistsError(f"save: could not create a temporary file in {directory}")


def _remove_stale_temporaries(directory: str, name: str) -> None:
    """Remove the temporaries of earlier saves of `name` whose process is gone (killed mid-save).
    A live process's temporary (another save of the same path running now) is left alone."""
    prefix = f".{name}{_TEMPORARY_MARK}"
    try:
        entries = os.listdir(directory)
    except OSError:
        return  # the save itself will report an unusable directory
    for entry in entries:
        if not entry.startswith(prefix):
            continue
        pid_text, _, _ = entry[len(prefix):].partition("-")
        if pid_text.isdigit() and not _process_exists(int(pid_text)):
            try:
                os.unlink(os.path.join(directory, entry))
            except OSError:
                pass  # removed by a concurrent save, or not ours to remove


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process, or not a pid we can ask about: keep its file
    return True


def _fsync_directory(directory: str) -> None:
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return  # not possible on every platform; the data itself is already synced
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---- load -------------------------------------------------------------------------------------
def load(path: PathLike, map_location: Any = None, weights_only: bool = True) -> Dict[str, Any]:
    """Read a file written by `save` (or any safetensors file) -> dict of NumPy arrays, the
    nested structure `save` recorded restored (torch.load's place).

    Args:
        map_location: None, "cpu", or a CPU device (fastgrad's or PyTorch's), or a dict whose
            values are; fastgrad runs on the CPU, so any other device is a ValueError.
        weights_only: accepted for PyTorch's signature; a safetensors file holds only tensors
            and strings, so fastgrad never runs code from a file either way.

    Raises ValueError naming the file when it is not a regular file, is a PyTorch pickle
    checkpoint (with how to convert it), or is not a valid safetensors file.
    """
    _check_map_location(map_location)
    if not isinstance(weights_only, bool):
        raise TypeError(f"load: weights_only must be a bool, got {type(weights_only).__name__}")
    path = os.fspath(path)
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"load: {path} is {_kind_of_node(info.st_mode)}, not a regular "
                             "file; checkpoints are read from regular files")
        head = os.pread(fd, 8, 0)
        _refuse_pytorch_pickle(path, head)
        arrays, metadata = _read_safetensors(fd, path, info.st_size, head)
    finally:
        os.close(fd)
    outline = metadata.get(NESTED_METADATA_KEY)
    if outline is None:
        return arrays
    try:
        restored = _unflatten(json.loads(outline), arrays)
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        raise ValueError(f"{path}: malformed {NESTED_METADATA_KEY!r} metadata: {exc}") from exc
    if not isinstance(restored, dict):
        raise ValueError(f"{path}: malformed {NESTED_METADATA_KEY!r} metadata: not a dict")
    return restored


def _check_map_location(map_location: Any) -> None:
    if isinstance(map_location, dict):
        for value in map_location.values():
            _check_map_location(value)
        return
    if map_location is None:
        return
    if isinstance(map_location, str):
        kind = map_location
    elif isinstance(getattr(map_location, "type", None), str):  # fastgrad's or torch's device
        kind = map_location.type
    else:
        raise TypeError("load: map_location must be None, a device or a device name such as "
                        f"'cpu', got {type(map_location).__name__}")
    if kind.split(":")[0] != "cpu":
        raise ValueError(f"load: map_location={map_location!r} asks for a device other than "
                         "the CPU; fastgrad runs on the CPU only (use map_location='cpu' or None)")


def _kind_of_node(mode: int) -> str:
    kinds = [(stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _refuse_pytorch_pickle(path: str, head: bytes) -> None:
    """torch.save writes a zip archive (or, before PyTorch 1.6, a bare pickle): say so, and how
    to convert it, rather than report a broken safetensors header."""
    if head[:4] == b"PK\x03\x04":
        what = "a zip archive, as torch.save writes"
    elif len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        what = "a Python pickle, as older torch.save wrote"
    else:
        return
    raise ValueError(
        f"load: {path} is a PyTorch checkpoint ({what}), not a safetensors file. fastgrad never "
        "unpickles files (a pickle can run any code). Convert it once with PyTorch: "
        f"import torch, safetensors.torch; safetensors.torch.save_file(torch.load({path!r}), "
        "'model.safetensors'), then fastgrad.load('model.safetensors').")


def _reopenable_name(fd: int, path: str) -> str:
    """A name that opens the very file behind `fd`: /proc/self/fd/N where it exists (Linux), so
    the file checked above cannot be swapped for a FIFO before the library opens it."""
    proc_name = f"/proc/self/fd/{fd}"
    return proc_name if os.path.exists(proc_name) else path


def _read_safetensors(fd: int, path: str, size: int, head: bytes):
    """(arrays, metadata) of the safetensors file open as `fd`; errors name `path`.

    The library parses and checks the header. It also guarantees that the tensors lie back to
    back in the data section, in its offset order, and fill it exactly: so each one is read
    straight into the array returned for it, one read each, with no second copy."""
    try:
        with _open_safetensors(_reopenable_name(fd, path)) as f:
            metadata = f.metadata() or {}
            in_file_order = getattr(f, "offset_keys", None)
            if in_file_order is None:  # an older safetensors: it copies them out itself
                return {key: _writable(f.get_tensor(key)) for key in f.keys()}, metadata
            layout = []
            for key in in_file_order():
                tensor = f.get_slice(key)
                dtype = _NUMPY_DTYPES.get(tensor.get_dtype())
                if dtype is None:
                    raise ValueError(f"{path}: tensor {key!r} has dtype {tensor.get_dtype()}, "
                                     "which NumPy (and so fastgrad) cannot hold")
                layout.append((key, dtype, tuple(tensor.get_shape())))
    except SafetensorError as exc:
        raise ValueError(f"{path} ({size} bytes): not a valid safetensors file: {exc}") from exc
    data_bytes = sum(dtype.itemsize * int(np.prod(shape)) for _, dtype, shape in layout)
    offset = 8 + int.from_bytes(head, "little")
    if offset + data_bytes != size:
        raise ValueError(f"{path}: the file changed while it was being read")
    arrays = {}
    with FileIO(fd, closefd=False) as raw:
        for key, dtype, shape in layout:
            array = np.empty(shape, dtype)
            _read_exactly(raw, offset, array.reshape(-1).view(np.uint8), path)
            offset += array.nbytes
            arrays[key] = array
    return arrays, metadata


def _open_safetensors(name: str):
    """The library's reader without a mapping where it has one (safetensors >= 0.8)."""
    try:
        return safe_open(name, framework="np", backend="pread")
    except TypeError:  # no `backend` argument
        return safe_open(name, framework="np")


def _read_exactly(raw: FileIO, offset: int, into: np.ndarray, path: str) -> None:
    raw.seek(offset)
    done = 0
    while done < into.size:
        count = raw.readinto(into[done:])
        if not count:
            raise ValueError(f"{path}: the file ended early (changed while it was being read?)")
        done += count


def _writable(array: np.ndarray) -> np.ndarray:
    return array if array.flags.writeable else array.copy()


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
