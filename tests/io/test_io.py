"""fastgrad.io: save/load in the safetensors format.

Round trips keep values, dtypes, shapes and nesting; the files are read by the safetensors
library itself (and by PyTorch's loader when torch is installed); a failed save leaves the
previous file intact; a damaged or hostile file is a ValueError naming it, never a crash.
"""
import json
import os

import numpy as np
import pytest
import safetensors.numpy

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


# ---- damaged and hostile files ------------------------------------------------------------
def test_truncated_file(tmp_path):
    path, data = good_file(tmp_path)
    for cut in (len(data) - 1, len(data) // 2, 12, 7):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=str(path)):
            io.load(path)


def test_random_bytes(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(20):
        path = tmp_path / f"random{i}"
        path.write_bytes(rng.bytes(int(rng.integers(0, 300))))
        with pytest.raises(ValueError, match=str(path)):
            io.load(path)


def test_random_small_header_lengths_with_garbage(tmp_path):
    rng = np.random.default_rng(1)
    for i in range(20):
        n = int(rng.integers(0, 64))
        path = tmp_path / f"garbage{i}"
        path.write_bytes(n.to_bytes(8, "little") + rng.bytes(n + int(rng.integers(0, 16))))
        with pytest.raises(ValueError, match=str(path)):
            io.load(path)


@pytest.mark.parametrize("claimed", [2 ** 63, 2 ** 40, 10 ** 6])
def test_header_length_larger_than_the_file(tmp_path, claimed):
    path = tmp_path / "huge"
    path.write_bytes(claimed.to_bytes(8, "little") + b"{}")
    with pytest.raises(ValueError, match="header length"):
        io.load(path)


def test_zero_length_file(tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="empty|0 bytes"):
        io.load(path)


@pytest.mark.parametrize("entry,match", [
    ({"dtype": "F32", "shape": [2], "data_offsets": [0, 1 << 40]}, "out of range"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}, "out of range"),
    ({"dtype": "F32", "shape": [1 << 40, 1 << 40], "data_offsets": [0, 8]}, "does not fit"),
    ({"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}, "does not fit"),
    ({"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}, "shape"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}, "out of range"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [0]}, "data_offsets"),
    ({"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}, "dtype"),
    ({"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}, "dtype"),
    ("not an object", "not an object"),
], ids=["offset-huge", "offset-beyond", "shape-huge", "shape-mismatch", "shape-negative",
        "offsets-reversed", "offsets-short", "dtype-unknown", "dtype-unsupported", "entry-type"])
def test_hostile_headers(tmp_path, entry, match):
    path = write_raw(tmp_path / "hostile", {"x": entry}, data=bytes(8))
    with pytest.raises(ValueError, match=match):
        io.load(path)


def test_overlapping_tensors(tmp_path):
    header = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
              "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
    with pytest.raises(ValueError, match="overlap"):
        io.load(write_raw(tmp_path / "overlap", header, data=bytes(12)))


@pytest.mark.parametrize("header", [b"\xff\xfe{", b"{not json", b"[1, 2]", b"[" * 100000,
                                    b'{"__metadata__": {"a": 1}}'],
                         ids=["not-utf8", "not-json", "not-object", "deep-nesting", "bad-metadata"])
def test_malformed_header(tmp_path, header):
    path = write_raw(tmp_path / "bad", header)
    with pytest.raises(ValueError, match=str(path)):
        io.load(path)


def test_gap_between_tensors_is_rejected_by_the_library_check(tmp_path):
    header = {"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}
    with pytest.raises(ValueError, match=str(tmp_path)):
        io.load(write_raw(tmp_path / "gap", header, data=bytes(8)))


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


def test_new_file_gets_the_process_umask(tmp_path):
    old = os.umask(0o027)
    try:
        io.save({"w": np.zeros(2)}, tmp_path / "fresh.safetensors")
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / "fresh.safetensors").st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["fresh.safetensors"]  # no temporary left
