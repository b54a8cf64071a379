"""all_reduce, broadcast and all_gather under mpiexec, against NumPy on the same data."""
import functools

import numpy as np
import pytest
from mpi_launch import results, run
from mpi_worker import DTYPES, OPS, rank_data

NUMPY_OPS = {"SUM": np.add, "AVG": np.add, "PRODUCT": np.multiply, "MIN": np.minimum,
             "MAX": np.maximum}


@pytest.fixture(scope="module", params=[2, 4], ids=["2ranks", "4ranks"])
def ranks(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"collectives{request.param}")
    run("collectives", request.param, out)
    return request.param, results(out, request.param)


def test_process_group(ranks):
    n, res = ranks
    for r in res:
        assert r["initialized"] and not r["initialized_after"]
        assert r["world"] == n and r["backend"] == "mpi"
        assert f"world_size=99 but mpiexec started this process with world_size {n}" in \
            str(r["world_size_error"])
        assert not r["initialized_after_error"]
        assert "initialize the default process group twice" in str(r["twice_error"])


@pytest.mark.parametrize("dtype, op", [(d, op) for d in DTYPES for op in OPS
                                       if not (op == "AVG" and d == "int64")])
def test_all_reduce_matches_numpy_in_rank_order(ranks, dtype, op):
    n, res = ranks
    parts = [rank_data(r, (7, 5), dtype) for r in range(n)]
    expected = functools.reduce(NUMPY_OPS[op], parts)  # rank 0, then 1, ...: the same bits
    if op == "AVG":
        expected = expected / np.array(n, dtype)
    for r in res:
        got = r[f"all_reduce_{op}_{dtype}"]
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_and_all_gather(ranks, dtype):
    n, res = ranks
    gathered = np.stack([rank_data(r, (2, 3), dtype) for r in range(n)])
    for r in res:
        np.testing.assert_array_equal(r[f"broadcast_{dtype}"], rank_data(n - 1, (3, 4), dtype))
        np.testing.assert_array_equal(r[f"all_gather_{dtype}"], gathered)


def test_all_reduce_of_a_strided_view_writes_only_the_view(ranks):
    n, res = ranks
    expected = rank_data(0, (6, 8), "float64")
    expected[::2, 1::3] = sum(rank_data(r, (6, 8), "float64")[::2, 1::3] for r in range(n))
    for rank, r in enumerate(res):
        mine = rank_data(rank, (6, 8), "float64")
        mine[::2, 1::3] = expected[::2, 1::3]
        np.testing.assert_array_equal(r["all_reduce_view_base"], mine)


def test_different_shapes_raise_on_every_rank(ranks):
    n, res = ranks
    for r in res:
        message = str(r["mismatch_error"])
        assert "same shape" in message and "rank 1: shape (4,)" in message


def test_bad_arguments_raise_clear_errors(ranks):
    n, res = ranks
    for r in res:
        assert "ReduceOp.AVG needs a floating-point tensor" in str(r["avg_int_error"])
        assert f"src must be a rank in [0, {n - 1}]" in str(r["src_error"])
        assert "tensor_list must be a list of world size" in str(r["gather_list_error"])
        assert "op must be one of" in str(r["op_error"])
