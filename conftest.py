"""Which fastgrad the tests and benchmarks import: the source tree when it is built in place
(`python setup.py build_ext --inplace`, the developer's loop), else the installed package.

`python -m pytest` puts the current directory first on sys.path, so from the root of a fresh
clone it would find the uncompiled fastgrad/ folder before the one `pip install .` put in
site-packages; this conftest.py, at the root so that pytest reads it before any test module,
takes the root off sys.path in that case. Plain `pytest` does not add the root at all.
FASTGRAD_TEST_INSTALLED=1 tests the installed package even in a tree built in place (nox)."""
import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(ROOT, "fastgrad"))
try:
    import _source_tree  # fastgrad/_source_tree.py, loaded alone so the package is not cached
finally:
    del sys.path[0]
    sys.modules.pop("_source_tree", None)

try:
    _source_tree.check()
    use_tree = os.environ.get("FASTGRAD_TEST_INSTALLED") != "1"
except ImportError:  # not built here: the tests must reach the installed copy
    use_tree = False
if use_tree:
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
else:
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != ROOT]
