"""The sdist: `python -m build --sdist` makes an archive that holds what a packager needs to
test it (LICENSE, the tests with their conftest files, benchmarks, docs, examples, tools), and
unpacked, built in place and tested, it passes."""
import os
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MUST_HOLD = ["LICENSE", "README.md", "pyproject.toml", "setup.py", "conftest.py",
             "tests/conftest.py", "tests/reference.py", "benchmarks/conftest.py",
             "benchmarks/peers.py", "docs/ARCHITECTURE.md", "examples/train_digits.py",
             "tools/build_wheels.sh", "tools/smoke_wheel.py", "csrc/fastgrad.h",
             "fastgrad/_kernels.pyx", "fastgrad/_version.py", "fastgrad/datasets/digits.csv.gz"]
SUBSET = ["tests/autograd", "tests/nn/test_layers.py", "tests/system/test_source_tree.py",
          "tests/system/test_readme.py", "tests/kernels/test_threadpool.py"]


@pytest.mark.slow  # builds the sdist, then the extension from it: about 2 minutes
def test_sdist_holds_its_tests_and_they_pass_when_unpacked(tmp_path):
    pytest.importorskip("build")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(dist), ROOT],
                   check=True, capture_output=True, timeout=600)
    (archive,) = dist.glob("fastgrad-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        top = names[0].split("/")[0]
        held = {n[len(top) + 1:] for n in names}
        missing = [n for n in MUST_HOLD if n not in held]
        assert not missing, missing
        assert not [n for n in held if n.endswith((".so", ".pyc"))]
        tar.extractall(tmp_path)
    tree = tmp_path / top
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CI")}
    subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace", "-j", "2"], cwd=tree,
                   check=True, capture_output=True, timeout=900, env=env)
    which = subprocess.run([sys.executable, "-c", "import fastgrad; print(fastgrad.__file__)"],
                           cwd=tree, capture_output=True, text=True, timeout=120, env=env)
    assert which.stdout.strip().startswith(str(tree)), which.stdout + which.stderr
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          *SUBSET], cwd=tree, capture_output=True, text=True, timeout=900,
                         env=env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert " passed" in out.stdout and "skipped" not in out.stdout.splitlines()[-1]
