"""The README's code blocks are run, so the documented examples keep working."""
import os
import re

import pytest

README = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "README.md")


def python_blocks():
    with open(README) as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_block_runs(index, tmp_path, monkeypatch, capsys):
    if "fastgrad.sklearn" in python_blocks()[index]:
        pytest.importorskip("sklearn", minversion="1.7")  # the estimators' floor (Python 3.10+)
    monkeypatch.chdir(tmp_path)  # the example saves a checkpoint
    exec(compile(python_blocks()[index], f"README block {index}", "exec"), {})
    out = capsys.readouterr().out
    match = re.search(r"test accuracy (\d\.\d+)", out)
    if match:
        assert float(match.group(1)) >= 0.95
