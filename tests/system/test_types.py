"""Static types: `mypy --strict` on the README's training example reports no error and sees
fastgrad's real types (not Any) for the model, the optimizer, the loss and a tensor."""
import os
import site
import sys

import pytest
from test_readme import python_blocks

import fastgrad

REVEALS = {
    "model": "fastgrad.nn.layers.Sequential",
    "opt": "fastgrad.optim.adam.Adam",
    "loss": "fastgrad.tensor.Tensor",
    "model(xb)": "fastgrad.tensor.Tensor",
    "fg.tensor([1.0])": "fastgrad.tensor.Tensor",
}


def training_example():
    return next(block for block in python_blocks() if "loss.backward()" in block)


def run_mypy(source, tmp_path, monkeypatch):
    api = pytest.importorskip("mypy.api")
    path = tmp_path / "example.py"
    path.write_text(source)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(fastgrad.__file__)))
    installed = [*site.getsitepackages(), site.getusersitepackages()]
    if package_parent not in installed:  # a source checkout built in place
        monkeypatch.setenv("MYPYPATH", package_parent)
    # silent: fastgrad's own modules are read for their types, the example alone is judged
    stdout, stderr, status = api.run(["--strict", "--follow-imports=silent", "--no-incremental",
                                      "--cache-dir", os.devnull, "--python-executable",
                                      sys.executable, str(path)])
    return stdout + stderr, status


@pytest.mark.slow  # mypy reads NumPy's stubs: about 20 s
def test_readme_training_example_passes_mypy_strict(tmp_path, monkeypatch):
    reveal = "".join(f"reveal_type({expr})\n" for expr in REVEALS)
    out, status = run_mypy(training_example() + reveal, tmp_path, monkeypatch)
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert not errors and status == 0, out
    revealed = [line.split('Revealed type is "')[1].rstrip('"')
                for line in out.splitlines() if "Revealed type is" in line]
    assert revealed == list(REVEALS.values()), out


@pytest.mark.slow
def test_mypy_sees_a_wrong_call(tmp_path, monkeypatch):
    # The check has teeth: a wrongly typed argument to an annotated fastgrad call is reported.
    out, status = run_mypy("from fastgrad import nn\nnn.Linear('64', 10)\n", tmp_path,
                           monkeypatch)
    assert status == 1 and 'Argument 1 to "Linear" has incompatible type "str"' in out, out


@pytest.mark.parametrize("module_name", ["_kernels", "_engine"])
def test_compiled_module_stub_names_what_the_module_has(module_name):
    # A stub that lacks a function hides it from type checkers; one that names a function the
    # module no longer has promises what is not there.
    import ast
    import importlib

    module = importlib.import_module(f"fastgrad.{module_name}")
    stub = os.path.join(os.path.dirname(fastgrad.__file__), f"{module_name}.pyi")
    with open(stub) as f:
        tree = ast.parse(f.read())
    stubbed = {node.name for node in tree.body
               if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    stubbed |= {node.target.id for node in tree.body if isinstance(node, ast.AnnAssign)}
    public = {name for name, value in vars(module).items()
              if not name.startswith("_") and (callable(value) or name.isupper())
              and getattr(value, "__module__", module.__name__) in (module.__name__, None)}
    public -= {name for name in public if name.startswith("ACT_")}  # one constant per table row
    assert stubbed == public
