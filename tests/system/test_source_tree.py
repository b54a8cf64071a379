"""Importing fastgrad from a source tree whose compiled modules were never built (what Python
does when run from the root of a fresh clone) ends in an ImportError that says what to run,
not in a confusing error from deep inside the package. The root conftest.py then steers the
tests to the installed copy."""
import os
import shutil
import subprocess
import sys

import fastgrad

PACKAGE = os.path.dirname(os.path.abspath(fastgrad.__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def unbuilt_clone(tmp_path):
    """A copy of the package's Python files alone, as a fresh clone has them."""
    shutil.copytree(PACKAGE, tmp_path / "fastgrad",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "*.c", "__pycache__"))
    return tmp_path


def test_import_from_an_unbuilt_source_tree_says_what_to_run(tmp_path):
    clone = unbuilt_clone(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", "import fastgrad"], cwd=clone, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()
    assert any(line.startswith("ImportError: fastgrad is being imported from its source tree")
               for line in last), out.stderr
    assert "build_ext --inplace" in out.stderr and "pip install ." in out.stderr
    assert "fastgrad._kernels" in out.stderr and "circular import" not in out.stderr


def test_a_built_tree_imports_without_the_message():
    # The fastgrad under test is built (in place or installed): the check let it through.
    from fastgrad import _source_tree

    _source_tree.check()
    assert fastgrad._kernels.__file__.startswith(PACKAGE)


def test_root_conftest_steers_python_dash_m_pytest_to_the_installed_copy(tmp_path):
    # A clone without compiled modules, the root conftest.py beside it, and a test that
    # reports which fastgrad it got; this session's (built) fastgrad is the "installed" one.
    clone = unbuilt_clone(tmp_path)
    for name in ("conftest.py", "pyproject.toml"):  # pyproject.toml makes the clone the rootdir
        shutil.copy(os.path.join(ROOT, name), clone / name)
    (clone / "tests").mkdir()
    (clone / "tests" / "test_which.py").write_text(
        "import fastgrad\n"
        "def test_which():\n"
        f"    assert fastgrad.__file__.startswith({PACKAGE!r}), fastgrad.__file__\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(PACKAGE))
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests"], cwd=clone, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout
