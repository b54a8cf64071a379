"""The wheel: `python -m build --wheel` makes one that installs into a fresh virtual
environment, with only its declared dependencies, and trains there."""
import glob
import os
import subprocess
import sys
import venv

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))

TRAIN = """
import fastgrad as fg
from fastgrad.__main__ import demo
acc, seconds = demo(epochs=10, progress=False)
print("isa", fg.isa(), "accuracy", acc)
assert acc > 0.9, acc
"""


@pytest.mark.slow  # builds the extension from scratch: ~90 s
@pytest.mark.skipif(os.environ.get("FASTGRAD_SKIP_WHEEL") == "1", reason="FASTGRAD_SKIP_WHEEL=1")
def test_wheel_builds_installs_and_trains_in_a_fresh_venv(tmp_path):
    pytest.importorskip("build")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), ROOT],
                   check=True, capture_output=True, timeout=900)
    wheels = glob.glob(str(dist / "fastgrad-*.whl"))
    assert len(wheels) == 1, wheels
    assert "-linux_" in wheels[0] or "manylinux" in wheels[0] or "macosx" in wheels[0]
    import zipfile

    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "fastgrad/datasets/digits.csv.gz" in names
    assert [n for n in names if n.endswith(".dist-info/licenses/LICENSE")], names
    entry_points = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert entry_points, names
    assert "fastgrad = fastgrad.__main__:main" in zipfile.ZipFile(wheels[0]).read(
        entry_points[0]).decode()
    assert not [n for n in names if n.endswith((".c", ".pyx"))], names  # modules only, no sources
    for module in ("_kernels", "_engine"):
        assert [n for n in names if n.startswith(f"fastgrad/{module}.") and n.endswith(".so")]

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = str(env_dir / "bin" / "python")
    subprocess.run([py, "-m", "pip", "install", "-q", wheels[0]], check=True,
                   capture_output=True, timeout=900)
    freeze = subprocess.run([py, "-m", "pip", "freeze"], check=True, capture_output=True,
                            text=True).stdout.lower()
    assert "torch" not in freeze and "cython" not in freeze  # nothing beyond the declared deps
    out = subprocess.run([py, "-c", TRAIN], capture_output=True, text=True, cwd=tmp_path,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert "accuracy" in out.stdout
    import fastgrad
    version = subprocess.run([str(env_dir / "bin" / "fastgrad"), "--version"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == fastgrad.__version__
