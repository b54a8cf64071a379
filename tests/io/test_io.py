"""fastgrad.io: save/load in the safetensors format.

Round trips keep values, dtypes, shapes and nesting; the files are read by the safetensors
library itself (and by PyTorch's loader when torch is installed); a failed or killed save leaves
the previous file intact and its temporary is cleaned up; a symlink, FIFO or device is written
through, never replaced; a damaged or hostile file, a FIFO or a PyTorch pickle is a ValueError
naming it, never a crash or a hang.
"""
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import safetensors.numpy

from conftest import child_python_env
import fastgrad
from fastgrad import io


def sample_arrays():
    rng = np.random.default_rng(0)
    return {
        "0.weight": rng.standard_normal((4, 3)).astype(np.float32),
        "0.bias": rng.standard_normal(4),  # float64
        "steps": np.arange(5, dtype=np.int64),
        "empty": np.zeros((0, 3), np.float32),
    }


def write_raw(path, header, data=b""):
    """A safetensors-like file with the given header (dict or raw bytes) and data section."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + data)
    return path


# ---- round trips ------------------------------------------------------------------------
def test_round_trip_keeps_values_dtypes_and_shapes(tmp_path):
    arrays = sample_arrays()
    io.save(arrays, tmp_path / "model.safetensors")
    loaded = io.load(tmp_path / "model.safetensors")
    assert loaded.keys() == arrays.keys()
    for key, array in arrays.items():
        assert loaded[key].dtype == array.dtype and loaded[key].shape == array.shape
        np.testing.assert_array_equal(loaded[key], array)
        assert loaded[key].flags.writeable


@pytest.mark.parametrize("dtype", ["f8", "f4", "f2", "i8", "u8", "i4", "u4", "i2", "u2", "i1",
                                   "u1", "?", "c8"])
def test_every_dtype_reads_back_as_the_safetensors_library_reads_it(tmp_path, dtype):
    rng = np.random.default_rng(0)
    shapes = {"matrix": (3, 5), "scalar": (), "empty": (0, 4), "vector": (7,)}
    arrays = {name: (rng.standard_normal(shape) * 50).astype(dtype)
              for name, shape in shapes.items()}
    io.save(arrays, tmp_path / "all")
    expected = safetensors.numpy.load_file(tmp_path / "all")
    loaded = io.load(tmp_path / "all")
    assert loaded.keys() == expected.keys()
    for name, array in expected.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        np.testing.assert_array_equal(loaded[name], array)
        np.testing.assert_array_equal(loaded[name], arrays[name])


def test_tensors_numbers_and_awkward_arrays_are_stored_as_arrays(tmp_path):
    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    big_endian = np.arange(3, dtype=">f4")
    io.save({"t": fastgrad.Tensor(np.ones((2, 2), np.float32)), "lr": 0.5, "n": 3,
             "flag": True, "fortran": fortran, "strided": np.arange(10.0)[::3],
             "be": big_endian}, tmp_path / "f")
    loaded = io.load(tmp_path / "f")
    np.testing.assert_array_equal(loaded["t"], np.ones((2, 2)))
    assert loaded["lr"].shape == () and loaded["lr"] == 0.5
    assert loaded["n"] == 3 and loaded["n"].dtype == np.int64 and loaded["flag"] == True  # noqa
    np.testing.assert_array_equal(loaded["fortran"], fortran)
    np.testing.assert_array_equal(loaded["strided"], [0.0, 3.0, 6.0, 9.0])
    np.testing.assert_array_equal(loaded["be"], [0, 1, 2])


def test_nested_dicts_round_trip_with_their_structure(tmp_path):
    state = {
        "model": sample_arrays(),
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": np.ones(2)}, 1: {"step": 3, "exp_avg": np.ones(4)}},
            "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "params": [0, 1],
                              "name": "all", "foreach": None}],
        },
    }
    io.save(state, tmp_path / "ckpt")
    loaded = io.load(tmp_path / "ckpt")
    assert set(loaded) == {"model", "optimizer"}
    assert set(loaded["optimizer"]["state"]) == {0, 1}  # int keys come back as ints
    np.testing.assert_array_equal(loaded["optimizer"]["state"][1]["exp_avg"], np.ones(4))
    group = loaded["optimizer"]["param_groups"][0]
    assert isinstance(group["betas"], tuple) and float(group["betas"][1]) == 0.999
    assert [int(i) for i in group["params"]] == [0, 1]
    assert group["name"] == "all" and group["foreach"] is None
    np.testing.assert_array_equal(loaded["model"]["0.weight"], state["model"]["0.weight"])


def test_nested_file_is_flat_dotted_tensors_for_other_readers(tmp_path):
    io.save({"optimizer": {"state": {0: {"exp_avg": np.ones(2)}}}}, tmp_path / "ckpt")
    flat = safetensors.numpy.load_file(tmp_path / "ckpt")
    assert list(flat) == ["optimizer.state.0.exp_avg"]


def test_file_is_read_by_the_safetensors_library(tmp_path):
    arrays = sample_arrays()
    io.save(arrays, tmp_path / "model.safetensors")
    loaded = safetensors.numpy.load_file(tmp_path / "model.safetensors")
    for key, array in arrays.items():
        np.testing.assert_array_equal(loaded[key], array)


def test_file_is_read_by_pytorchs_safetensors_loader(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch

    arrays = sample_arrays()
    io.save(arrays, tmp_path / "model.safetensors")
    loaded = safetensors.torch.load_file(tmp_path / "model.safetensors")
    assert loaded["0.weight"].dtype == torch.float32 and loaded["steps"].dtype == torch.int64
    for key, array in arrays.items():
        np.testing.assert_array_equal(loaded[key].numpy(), array)


def test_reads_files_written_by_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch

    safetensors.torch.save_file({"w": torch.arange(6.0).reshape(2, 3)}, tmp_path / "t")
    np.testing.assert_array_equal(io.load(tmp_path / "t")["w"], np.arange(6.0).reshape(2, 3))


def test_fastgrad_exports_save_and_load(tmp_path):
    fastgrad.save({"a": np.ones(2)}, str(tmp_path / "a"))
    np.testing.assert_array_equal(fastgrad.load(str(tmp_path / "a"))["a"], np.ones(2))


# ---- what cannot be saved -------------------------------------------------------------------
def test_non_str_keys_are_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="str"):
        io.save({0: np.ones(2)}, tmp_path / "x")
    with pytest.raises(TypeError):
        io.save({"a": {(1, 2): np.ones(2)}}, tmp_path / "x")
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("value", [object(), np.array(["text"]), np.ones(2, np.complex128)],
                         ids=["object", "str-array", "complex128"])
def test_unstorable_values_are_a_type_error(tmp_path, value):
    with pytest.raises(TypeError, match="'bad'"):
        io.save({"bad": value}, tmp_path / "x")


def test_keys_that_flatten_to_the_same_name_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="a.b"):
        io.save({"a.b": np.ones(1), "a": {"b": np.ones(1)}}, tmp_path / "x")


# ---- atomic save ------------------------------------------------------------------------------
def good_file(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    io.save({"w": np.arange(3.0)}, path)
    return path, path.read_bytes()


def test_failing_serializer_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path, before = good_file(tmp_path)

    def broken_save(*args, **kwargs):
        raise RuntimeError("serializer exploded")

    monkeypatch.setattr(io.safetensors.numpy, "save", broken_save)
    with pytest.raises(RuntimeError, match="exploded"):
        io.save({"w": np.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


def test_failure_while_writing_removes_the_temporary(tmp_path, monkeypatch):
    path, before = good_file(tmp_path)

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        io.save({"w": np.zeros(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]
    np.testing.assert_array_equal(io.load(path)["w"], np.arange(3.0))


def test_failing_rename_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path, before = good_file(tmp_path)

    def failing_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(io.os, "replace", failing_replace)
    with pytest.raises(OSError, match="rename failed"):
        io.save({"w": np.zeros(4)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


def test_unserialisable_value_leaves_the_previous_file(tmp_path):
    path, before = good_file(tmp_path)
    with pytest.raises(TypeError):
        io.save({"w": np.zeros(3), "bad": object()}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]


def test_save_replaces_and_keeps_permissions(tmp_path):
    path, _ = good_file(tmp_path)
    os.chmod(path, 0o640)
    io.save({"w": np.zeros(2)}, path)
    assert os.stat(path).st_mode & 0o777 == 0o640
    np.testing.assert_array_equal(io.load(path)["w"], np.zeros(2))


def test_new_file_gets_the_process_umask(tmp_path):
    old = os.umask(0o027)
    try:
        io.save({"w": np.zeros(2)}, tmp_path / "fresh.safetensors")
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / "fresh.safetensors").st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["fresh.safetensors"]  # no temporary left


SAVER = """
import sys, numpy as np, fastgrad as fg
path = sys.argv[1]
print("ready", flush=True)
k = 1
while True:  # each version: 4 MB all equal to k, so a torn file would show mixed values
    fg.save({"w": np.full((1024, 1024), k, np.float32), "step": np.array([k])}, path)
    k += 1
"""


def start_saver(path):
    """A child process saving new versions of `path` in a loop, once it has said it is ready."""
    env, cwd = child_python_env()
    proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killing_a_process_mid_save_leaves_a_whole_checkpoint(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    fastgrad.save({"w": np.zeros((1024, 1024), np.float32), "step": np.array([0])}, path)
    rng = np.random.default_rng(0)
    last_step = 0
    for _ in range(5):
        proc = start_saver(path)
        try:
            time.sleep(float(rng.uniform(0.05, 0.4)))  # lands anywhere in the write cycle
        finally:
            kill(proc)
        state = fastgrad.load(path)  # never torn: one complete version or the previous one
        k = int(state["step"][0])
        assert state["w"].shape == (1024, 1024)
        assert np.all(state["w"] == k)
        assert k >= 0
        last_step = max(last_step, k)
    assert last_step > 0  # the killed savers did replace the file at times


# ---- temporaries ------------------------------------------------------------------------------
def temporaries(directory):
    return sorted(n for n in os.listdir(directory) if ".fastgrad-tmp-" in n)


def test_temporary_is_named_after_the_target_and_this_process(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spying_replace(src, dst):
        seen.append(os.path.basename(src))
        real_replace(src, dst)

    monkeypatch.setattr(io.os, "replace", spying_replace)
    io.save({"w": np.ones(2)}, tmp_path / "ckpt.safetensors")
    assert len(seen) == 1
    assert seen[0].startswith(f".ckpt.safetensors.fastgrad-tmp-{os.getpid()}-")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_killed_saves_temporary_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    left = []
    for _ in range(20):  # SIGKILL lands mid-write most of the time (a save is mostly writing)
        proc = start_saver(path)
        try:
            time.sleep(0.2)
        finally:
            kill(proc)
        left = temporaries(tmp_path)
        if left:
            break
    assert left, "no kill landed during a save"
    other = tmp_path / "other.safetensors"
    io.save({"w": np.ones(2)}, other)
    assert temporaries(tmp_path) == left  # another path's save leaves them alone
    io.save({"w": np.ones(2)}, path)
    assert temporaries(tmp_path) == []
    np.testing.assert_array_equal(io.load(path)["w"], np.ones(2))


def test_a_running_saves_temporary_is_left_alone(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    live = tmp_path / f".ckpt.safetensors.fastgrad-tmp-{os.getpid()}-0a1b2c3d"
    live.write_bytes(b"a save of this process in progress")
    io.save({"w": np.ones(2)}, path)
    assert temporaries(tmp_path) == [live.name]


# ---- symlinks, FIFOs and devices --------------------------------------------------------------
def test_save_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "run1").mkdir()
    target = tmp_path / "run1" / "ckpt.safetensors"
    io.save({"w": np.zeros(3)}, target)
    link = tmp_path / "latest.safetensors"
    os.symlink(os.path.join("run1", "ckpt.safetensors"), link)  # relative, as `ln -s` makes
    io.save({"w": np.ones(3)}, link)
    assert os.path.islink(link) and os.readlink(link) == os.path.join("run1", "ckpt.safetensors")
    np.testing.assert_array_equal(io.load(target)["w"], np.ones(3))
    assert sorted(os.listdir(tmp_path)) == ["latest.safetensors", "run1"]
    assert os.listdir(tmp_path / "run1") == ["ckpt.safetensors"]


def test_save_through_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "latest.safetensors"
    os.symlink(tmp_path / "new.safetensors", link)
    io.save({"w": np.ones(2)}, link)
    assert os.path.islink(link)
    np.testing.assert_array_equal(io.load(tmp_path / "new.safetensors")["w"], np.ones(2))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_save_writes_through_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    state = {"w": np.arange(300_000, dtype=np.float32)}  # more than a pipe buffer holds
    io.save(state, fifo)
    reader.join(30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]
    np.testing.assert_array_equal(safetensors.numpy.load(received[0])["w"], state["w"])


def char_device_like_dev_null(tmp_path):
    """As root a private node of /dev/null's kind (rename over it would destroy a device);
    otherwise /dev/null itself, which a user cannot rename over."""
    if os.geteuid() == 0:
        node = tmp_path / "null"
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        return str(node)
    return os.devnull


@pytest.mark.skipif(not hasattr(os, "mknod") or not os.path.exists("/dev/null"),
                    reason="needs /dev/null")
def test_save_writes_through_a_character_device(tmp_path):
    node = char_device_like_dev_null(tmp_path)
    io.save({"w": np.ones(3)}, node)
    assert stat.S_ISCHR(os.stat(node).st_mode)
    assert os.stat(node).st_rdev == os.stat("/dev/null").st_rdev
    assert not temporaries(os.path.dirname(node) or ".")


@pytest.mark.skipif(not os.path.exists("/dev/stdout"), reason="needs /dev/stdout")
def test_save_to_dev_stdout_writes_into_the_pipe(tmp_path):
    """/dev/stdout links to /proc/self/fd/1, whose target names no path when it is a pipe."""
    env, cwd = child_python_env()
    code = "import numpy as np, fastgrad; fastgrad.save({'w': np.arange(5.0)}, '/dev/stdout')"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                         check=True, timeout=60).stdout
    np.testing.assert_array_equal(safetensors.numpy.load(out)["w"], np.arange(5.0))


def test_save_to_a_directory_is_an_error_and_leaves_it(tmp_path):
    with pytest.raises(IsADirectoryError):
        io.save({"w": np.ones(3)}, tmp_path)
    assert os.listdir(tmp_path) == []


# ---- damaged and hostile files ------------------------------------------------------------
# The safetensors library checks the header (lengths, offsets against shapes and dtypes, overlaps,
# gaps, JSON types); fastgrad names the file and refuses the dtypes NumPy cannot hold.
INVALID = "not a valid safetensors file"


def assert_refused(path, match=INVALID):
    with pytest.raises(ValueError, match=match) as info:
        io.load(path)
    assert str(path) in str(info.value)


def test_truncated_file(tmp_path):
    path, data = good_file(tmp_path)
    for cut in (len(data) - 1, len(data) // 2, 12, 7):
        path.write_bytes(data[:cut])
        assert_refused(path)


def test_random_bytes(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(20):
        path = tmp_path / f"random{i}"
        path.write_bytes(rng.bytes(int(rng.integers(0, 300))))
        assert_refused(path, match=None)  # random bytes may look like anything


def test_random_small_header_lengths_with_garbage(tmp_path):
    rng = np.random.default_rng(1)
    for i in range(20):
        n = int(rng.integers(0, 64))
        path = tmp_path / f"garbage{i}"
        path.write_bytes(n.to_bytes(8, "little") + rng.bytes(n + int(rng.integers(0, 16))))
        assert_refused(path)


@pytest.mark.parametrize("claimed", [2 ** 63, 2 ** 40, 10 ** 6, 2 ** 64 - 1])
def test_header_length_larger_than_the_file(tmp_path, claimed):
    path = tmp_path / "huge"
    path.write_bytes(claimed.to_bytes(8, "little") + b"{}")
    assert_refused(path, match="header")


def test_zero_length_file(tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert_refused(path, match="0 bytes")


@pytest.mark.parametrize("entry", [
    {"dtype": "F32", "shape": [2], "data_offsets": [0, 1 << 40]},
    {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]},
    {"dtype": "F32", "shape": [1 << 40, 1 << 40], "data_offsets": [0, 8]},
    {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]},
    {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]},
    {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]},
    {"dtype": "F32", "shape": [True, 2], "data_offsets": [0, 8]},
    {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]},
    {"dtype": "F32", "shape": [2], "data_offsets": [0]},
    {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]},
    {"dtype": ["F32"], "shape": [2], "data_offsets": [0, 8]},
    "not an object",
], ids=["offset-huge", "offset-beyond", "shape-huge", "shape-mismatch", "shape-negative",
        "shape-float", "shape-bool", "offsets-reversed", "offsets-short", "dtype-unknown",
        "dtype-list", "entry-type"])
def test_hostile_headers(tmp_path, entry):
    assert_refused(write_raw(tmp_path / "hostile", {"x": entry}, data=bytes(8)))


@pytest.mark.parametrize("dtype,count", [("BF16", 4), ("F8_E4M3", 8), ("F8_E5M2", 8)])
def test_dtypes_numpy_cannot_hold_are_refused_by_name(tmp_path, dtype, count):
    path = write_raw(tmp_path / "bf16", {"x": {"dtype": dtype, "shape": [count],
                                              "data_offsets": [0, 8]}}, data=bytes(8))
    assert_refused(path, match=f"'x' has dtype {dtype}")


def test_overlapping_tensors(tmp_path):
    header = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
              "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
    assert_refused(write_raw(tmp_path / "overlap", header, data=bytes(12)))


@pytest.mark.parametrize("header", [b"\xff\xfe{", b"{not json", b"[1, 2]", b"[" * 100000,
                                    b'{"__metadata__": {"a": 1}}', b'{"__metadata__": 5}'],
                         ids=["not-utf8", "not-json", "not-object", "deep-nesting",
                              "bad-metadata", "metadata-not-a-dict"])
def test_malformed_header(tmp_path, header):
    assert_refused(write_raw(tmp_path / "bad", header))


@pytest.mark.parametrize("begin,end,size", [(4, 8, 8), (0, 4, 8)], ids=["gap", "trailing"])
def test_bytes_no_tensor_covers_are_refused(tmp_path, begin, end, size):
    header = {"a": {"dtype": "F32", "shape": [1], "data_offsets": [begin, end]}}
    assert_refused(write_raw(tmp_path / "gap", header, data=bytes(size)))


@pytest.mark.parametrize("outline", ["{bad json", json.dumps({"tensor": "missing"}),
                                     json.dumps({"dict": [[1.5, {"none": None}]]}),
                                     json.dumps({"weird": 1}), json.dumps({"list": []}),
                                     "[" * 100000])
def test_malformed_nesting_metadata(tmp_path, outline):
    header = {"__metadata__": {io.NESTED_METADATA_KEY: outline},
              "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    with pytest.raises(ValueError, match="nested"):
        io.load(write_raw(tmp_path / "meta", header, data=bytes(4)))


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        io.load(tmp_path / "nope")


# ---- what load reads, and what it returns ---------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_load_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "ckpt.safetensors"
    os.mkfifo(fifo)
    outcome = []

    def load():
        try:
            io.load(fifo)
        except Exception as exc:  # noqa: BLE001 (the test inspects it)
            outcome.append(exc)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # blocked in open(): a writer releases it, and the test fails
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(10)
        pytest.fail("fg.load blocked on a FIFO")
    assert isinstance(outcome[0], ValueError) and "FIFO" in str(outcome[0])
    assert str(fifo) in str(outcome[0])


@pytest.mark.parametrize("node", [os.devnull, "."], ids=["character-device", "directory"])
def test_load_refuses_what_is_not_a_regular_file(node):
    if not os.path.exists(node):
        pytest.skip(f"no {node}")
    with pytest.raises(ValueError, match="not a regular file"):
        io.load(node)


def test_load_follows_a_symlink_to_a_regular_file(tmp_path):
    io.save({"w": np.ones(2)}, tmp_path / "real")
    os.symlink(tmp_path / "real", tmp_path / "link")
    np.testing.assert_array_equal(io.load(tmp_path / "link")["w"], np.ones(2))


def test_loaded_arrays_own_their_memory_whatever_happens_to_the_file(tmp_path):
    """No mapping of the file outlives load: rewriting the file in place (as safetensors'
    save_file does) or truncating it changes nothing in the arrays already loaded."""
    path = tmp_path / "ckpt.safetensors"
    safetensors.numpy.save_file({"w": np.full(100_000, 3.0, np.float32)}, path)
    w = io.load(path)["w"]
    safetensors.numpy.save_file({"w": np.full(100_000, 5.0, np.float32)}, path)  # in place
    np.testing.assert_array_equal(w, 3.0)
    os.truncate(path, 0)
    np.testing.assert_array_equal(w, 3.0)  # a mapped page would fault (SIGBUS) here
    w += 1  # writable, as a PyTorch tensor from torch.load is
    np.testing.assert_array_equal(w, 4.0)


@pytest.mark.parametrize("where", [None, "cpu", "cpu:0", {"cuda:0": "cpu"}])
def test_map_location_on_the_cpu_is_accepted(tmp_path, where):
    path, _ = good_file(tmp_path)
    np.testing.assert_array_equal(io.load(path, map_location=where)["w"], np.arange(3.0))
    np.testing.assert_array_equal(fastgrad.load(path, where, weights_only=False)["w"],
                                  np.arange(3.0))


def test_map_location_takes_pytorchs_devices(tmp_path):
    torch = pytest.importorskip("torch")
    path, _ = good_file(tmp_path)
    np.testing.assert_array_equal(io.load(path, map_location=torch.device("cpu"))["w"],
                                  np.arange(3.0))
    with pytest.raises(ValueError, match="CPU"):
        io.load(path, map_location=torch.device("cuda:0"))


@pytest.mark.parametrize("where", ["cuda", "cuda:1", "mps", {"cpu": "cuda:0"}])
def test_map_location_on_another_device_is_refused(tmp_path, where):
    path, _ = good_file(tmp_path)
    with pytest.raises(ValueError, match="map_location.*CPU"):
        io.load(path, map_location=where)


def test_bad_map_location_and_weights_only_types(tmp_path):
    path, _ = good_file(tmp_path)
    with pytest.raises(TypeError, match="map_location"):
        io.load(path, map_location=3)
    with pytest.raises(TypeError, match="weights_only"):
        io.load(path, weights_only="yes")


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy-pickle"])
def test_pytorch_checkpoint_is_named_with_how_to_convert_it(tmp_path, zipped):
    torch = pytest.importorskip("torch")
    import safetensors.torch

    linear = torch.nn.Linear(2, 3)
    path = tmp_path / "model.pth"
    torch.save(linear.state_dict(), path, _use_new_zipfile_serialization=zipped)
    with pytest.raises(ValueError, match="PyTorch checkpoint") as info:
        io.load(path)
    assert str(path) in str(info.value) and "safetensors.torch.save_file" in str(info.value)
    # The conversion the message gives, and fastgrad reads its result.
    safetensors.torch.save_file(torch.load(path), tmp_path / "model.safetensors")
    loaded = io.load(tmp_path / "model.safetensors")
    np.testing.assert_array_equal(loaded["weight"], linear.weight.detach().numpy())
    np.testing.assert_array_equal(loaded["bias"], linear.bias.detach().numpy())


# ---- loading a state dict into a module ------------------------------------------------------
def small_model():
    from fastgrad import nn

    fastgrad.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def snapshot(model):
    return {k: np.array(v, copy=True) for k, v in model.state_dict().items()}


@pytest.mark.parametrize("bad", [np.array(["a", "b"]), np.array([None, None], dtype=object),
                                 np.array([1 + 2j, 3j])], ids=["str", "object", "complex"])
def test_load_state_dict_checks_every_value_before_writing_any(bad):
    model = small_model()
    before = snapshot(model)
    state = {k: np.full(v.shape, 7.0) for k, v in before.items()}
    state["2.bias"] = bad  # the right shape, but no float values: the last key in order
    with pytest.raises(ValueError, match="'2.bias'.*dtype"):
        model.load_state_dict(state)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_refuses_object_arrays_of_none_instead_of_nan():
    model = small_model()
    before = snapshot(model)
    with pytest.raises(ValueError, match="object"):
        model.load_state_dict({k: np.full(v.shape, None, dtype=object) for k, v in before.items()})
    assert all(np.isfinite(v).all() for v in model.state_dict().values())


def test_load_state_dict_converts_integers_and_float64_as_pytorch_copies_them():
    torch = pytest.importorskip("torch")
    model = small_model()
    ints = {k: np.arange(np.prod(v.shape), dtype=np.int64).reshape(v.shape)
            for k, v in model.state_dict().items()}
    model.load_state_dict(ints)
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    reference.load_state_dict({k: torch.from_numpy(v) for k, v in ints.items()})
    for key, value in model.state_dict().items():
        assert np.asarray(value).dtype == np.float32
        np.testing.assert_array_equal(value, reference.state_dict()[key].numpy())
