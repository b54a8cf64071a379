"""Loading a checkpoint: fastgrad.load beside safetensors.numpy.load_file, time and peak memory.

    PYTHONPATH=. python benchmarks/bench_io.py [--mb 200] [--rounds 7]

writes a checkpoint of about `--mb` MB (float32 layers of 2048 x 2048 and their biases, as a
model's state_dict) to a temporary directory, then loads it `--rounds` times with each reader,
each load in a fresh process that imports the same modules first, so that every reader starts
from the same memory. Each process reports the wall time of the load call and its peak resident
memory (ru_maxrss, which counts the file's pages a reader maps as well as the arrays it
allocates); the table gives medians, and each reader's ratio to safetensors.numpy.load_file.

Under pytest (`pytest benchmarks/bench_io.py`) the same readers load a small checkpoint in
process, grouped for pytest-benchmark's comparison.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import pytest

# Each child imports everything any reader needs before measuring, then runs one of these.
READERS = {
    "fastgrad.load": "import fastgrad; arrays = fastgrad.load(path)",
    "safetensors.numpy.load_file": "arrays = safetensors.numpy.load_file(path)",
    "safetensors (pread backend)": "arrays = safetensors.numpy.load_file(path, backend='pread')",
}
CHILD = """
import resource, sys, time
import numpy as np, safetensors.numpy, fastgrad
path = sys.argv[1]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
{load}
seconds = time.perf_counter() - start
assert sum(a.nbytes for a in arrays.values()) > 0
print(seconds, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_checkpoint(path, megabytes, seed=0):
    """float32 layers of 2048 x 2048 (16 MiB) with a bias each, about `megabytes` MB in all."""
    import safetensors.numpy

    rng = np.random.default_rng(seed)
    layers = max(1, round(megabytes * 1e6 / (2048 * 2049 * 4)))
    state = {}
    for i in range(layers):
        state[f"layers.{i}.weight"] = rng.standard_normal((2048, 2048), dtype=np.float32)
        state[f"layers.{i}.bias"] = rng.standard_normal(2048, dtype=np.float32)
    safetensors.numpy.save_file(state, path)
    return os.path.getsize(path)


def run_child(args):
    """stdout of `python args...` run outside the repository with it first on sys.path."""
    env = dict(os.environ)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (repo, env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, *args], env=env, cwd=tempfile.gettempdir(),
                          capture_output=True, text=True, check=True).stdout


def measure(reader, path):
    """(seconds, rss_before_kb, peak_rss_kb) of one load in a fresh process."""
    out = run_child(["-c", CHILD.format(load=READERS[reader]), path]).split()
    return float(out[0]), int(out[1]), int(out[2])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0, help="checkpoint size in MB")
    parser.add_argument("--rounds", type=int, default=7, help="loads per reader")
    parser.add_argument("--write", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.mb <= 0 or args.rounds < 1:
        parser.error("--mb must be positive and --rounds at least 1")
    if args.write:
        write_checkpoint(args.write, args.mb)
        return
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.safetensors")
        # Written by a child: a child's ru_maxrss starts from its parent's peak (fork and exec
        # carry it over), so this process must never hold the checkpoint itself.
        run_child([os.path.abspath(__file__), "--write", path, "--mb", str(args.mb)])
        size = os.path.getsize(path)
        results = {reader: [] for reader in READERS}
        for _ in range(args.rounds):  # readers interleaved, so drift hits them alike
            for reader in READERS:
                results[reader].append(measure(reader, path))
    print(f"checkpoint: {size / 1e6:.0f} MB; medians of {args.rounds} loads, each in a fresh "
          "process")
    print(f"{'reader':30s} {'time s':>8s} {'peak MB':>8s} {'before MB':>9s} "
          f"{'time x':>7s} {'peak x':>7s}")
    base_time = statistics.median(r[0] for r in results["safetensors.numpy.load_file"])
    base_peak = statistics.median(r[2] for r in results["safetensors.numpy.load_file"])
    for reader, rows in results.items():
        seconds = statistics.median(r[0] for r in rows)
        before = statistics.median(r[1] for r in rows)
        peak = statistics.median(r[2] for r in rows)
        print(f"{reader:30s} {seconds:8.3f} {peak / 1024:8.0f} {before / 1024:9.0f} "
              f"{seconds / base_time:7.2f} {peak / base_peak:7.2f}")


# ---- pytest-benchmark: a small checkpoint, in process ----------------------------------------
@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("bench_io") / "model.safetensors")
    write_checkpoint(path, 20)
    return path


@pytest.mark.benchmark(group="load a 20 MB checkpoint")
def test_load_fastgrad(benchmark, small_checkpoint):
    import fastgrad

    benchmark(fastgrad.load, small_checkpoint)


@pytest.mark.benchmark(group="load a 20 MB checkpoint")
def test_load_safetensors_numpy(benchmark, small_checkpoint):
    import safetensors.numpy

    benchmark(safetensors.numpy.load_file, small_checkpoint)


if __name__ == "__main__":
    main()
