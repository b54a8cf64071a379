"""The claimed ranges, tested: `nox` runs the suite on each CPython 3.9-3.13 and once with the
oldest NumPy that pyproject.toml claims. Each session installs the package (built from this
tree, like `pip install .`) and the test extra into a fresh environment, and tests the
installed copy (FASTGRAD_TEST_INSTALLED=1, see conftest.py).

    nox                          # every session (minutes each: installs, a build, the suite)
    nox -s "tests-3.9"           # one Python; CI runs the oldest and the newest
    nox -s oldest_numpy
    nox -s "tests-3.12" -- -x tests/nn     # arguments after -- go to pytest

PyTorch, the tests' main oracle, is installed only where its CPU build is on this machine's
disk (CPython 3.11); on the other Pythons pip would download the multi-gigabyte CUDA build, so
the tests that compare with PyTorch skip there and run in the 3.11 session and in CI's main
run. Slow tests run in CI's main run, not here (CI is unset in the sessions).
"""
import glob
import os
import sys
import tempfile

import nox
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # nox itself may run on an older Python
    import tomli as tomllib

ROOT = os.path.dirname(os.path.abspath(__file__))
PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
TORCH_PYTHONS = {"3.11"}  # where `pip install torch==2.13.0` finds the CPU build on disk



def _expose_pyenv_interpreters():
    """pyenv's shims answer only for the versions `pyenv global` names; nox looks for python3.X
    on PATH, so link each installed 3.X interpreter under that name in a folder put first."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    links = tempfile.mkdtemp(prefix="fastgrad-nox-pythons-")
    for version in PYTHONS:
        found = sorted(glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python3")))
        if found:
            os.symlink(found[-1], os.path.join(links, "python" + version))
    os.environ["PATH"] = links + os.pathsep + os.environ.get("PATH", "")


_expose_pyenv_interpreters()
nox.options.sessions = ["tests", "oldest_numpy"]
nox.options.reuse_existing_virtualenvs = False


def _project():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def test_requirements(python):
    """The test extra of pyproject.toml for this Python, without PyTorch where only its CUDA
    build could be had (see the module's docstring)."""
    wanted = []
    for line in _project()["optional-dependencies"]["test"]:
        name = Requirement(line).name
        if name == "torch" and python not in TORCH_PYTHONS:
            continue
        if name == "scikit-learn" and python == "3.9":
            line = "scikit-learn>=1.6,<1.7"  # 1.7 needs Python 3.10; 1.6 is the last for 3.9
        wanted.append(line)
    return wanted


def numpy_floor():
    """The lowest NumPy pyproject.toml's dependencies claim, as an exact pin."""
    for line in _project()["dependencies"]:
        req = Requirement(line)
        if req.name == "numpy":
            (spec,) = [s for s in req.specifier if s.operator == ">="]
            return f"numpy=={spec.version}"
    raise RuntimeError("pyproject.toml lists no numpy dependency")


def _run_suite(session, *extra_requirements):
    session.install(*test_requirements(session.python), *extra_requirements)
    session.install(ROOT, *extra_requirements)  # built like `pip install .`; pins held
    # -I: not the source tree in the current directory, the installed copy
    session.run("python", "-I", "-c", "import fastgrad, numpy; print('fastgrad', "
                "fastgrad.__version__, fastgrad.isa(), 'numpy', numpy.__version__)")
    session.run("python", "-m", "pytest", *(session.posargs or ["-q"]),
                env={"FASTGRAD_TEST_INSTALLED": "1", "CI": ""})


@nox.session(python=PYTHONS)
def tests(session):
    """The whole test suite (less the slow tests) on one CPython."""
    _run_suite(session)


@nox.session(python=PYTHONS[0])
def oldest_numpy(session):
    """The suite with the oldest NumPy claimed, on the oldest Python (the pair users with old
    environments have)."""
    _run_suite(session, numpy_floor())
