"""The command line: --version, argparse errors for bad arguments, bench from a checkout or
not, and what bench says when a peer is missing. main(argv) is called directly; stdout and
stderr are read with capsys."""
import os
import subprocess
import sys

import pytest

import fastgrad
from fastgrad import __main__ as cli

from conftest import child_python_env

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == fastgrad.__version__


def test_python_dash_m_fastgrad_version_in_a_fresh_process():
    env, cwd = child_python_env()
    out = subprocess.run([sys.executable, "-m", "fastgrad", "--version"], capture_output=True,
                         text=True, timeout=120, cwd=cwd, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == fastgrad.__version__


@pytest.mark.parametrize("argv,message", [
    (["bench", "--threads", "x"], "--threads: expected a whole number, got 'x'"),
    (["bench", "--threads", "0"], "--threads: must be at least 1, got 0"),
    (["bench", "--threads", "1,-2"], "--threads: must be at least 1, got -2"),
    (["bench", "--rounds", "0"], "--rounds: must be at least 1, got 0"),
    (["bench", "--rounds", "two"], "--rounds: expected a whole number, got 'two'"),
    (["demo", "--epochs", "-3"], "--epochs: must be at least 1, got -3"),
    (["demo", "--epochs", "1.5"], "--epochs: expected a whole number, got '1.5'"),
    (["demo", "--seed", "x"], "--seed: invalid int value: 'x'"),
    (["train"], "invalid choice: 'train'"),
    ([], "the following arguments are required: command"),
])
def test_bad_arguments_are_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bench_refuses_an_unknown_workload(capsys, monkeypatch):
    monkeypatch.chdir(REPO)  # the root of the clone, where a user runs `fastgrad bench`
    with pytest.raises(SystemExit) as exit_:
        cli.main(["bench", "--workloads", "T,XL"])
    assert exit_.value.code == 2
    assert "unknown workloads ['XL']" in capsys.readouterr().err


def test_bench_outside_a_checkout_says_how_to_run_it(monkeypatch, capsys):
    monkeypatch.setattr(cli, "find_benchmarks", lambda: None)
    assert cli.main(["bench"]) == 2
    err = capsys.readouterr().err
    assert "git clone" in err and "fastgrad bench" in err


def test_find_benchmarks_is_the_folder_beside_the_package(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # not a clone: only the package's own location counts
    root = os.path.dirname(os.path.dirname(os.path.abspath(fastgrad.__file__)))
    expected = os.path.join(root, "benchmarks")
    found = cli.find_benchmarks()
    assert found == (expected if os.path.isfile(os.path.join(expected, "peers.py")) else None)


def test_find_benchmarks_from_the_root_of_a_clone_with_the_package_installed(monkeypatch):
    monkeypatch.chdir(REPO)
    assert os.path.samefile(cli.find_benchmarks(), os.path.join(REPO, "benchmarks"))


def test_bench_names_a_missing_peer_and_runs_the_rest(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    sys.path.insert(0, cli.find_benchmarks())
    import peers

    calls = {}
    monkeypatch.setattr(peers, "missing_peers", lambda: ["torch"])
    monkeypatch.setattr(peers, "run", lambda names, **kw: calls.update(names=names, **kw))
    assert cli.main(["bench", "--workloads", "T", "--threads", "1,2", "--rounds", "1"]) == 0
    assert "not installed, so not compared: torch" in capsys.readouterr().err
    assert calls["names"] == ["T"] and calls["threads"] == (1, 2) and calls["rounds"] == 1


def test_missing_peers_lists_what_cannot_be_imported(monkeypatch):
    sys.path.insert(0, cli.find_benchmarks() or os.path.dirname(__file__))
    peers = pytest.importorskip("peers")
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    assert peers.missing_peers() == ["torch"]


def test_demo_shows_no_bar_when_stderr_is_not_a_terminal(capsys):
    acc, _ = cli.demo(epochs=1, progress=True)  # capsys' stderr is not a terminal
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    assert 0.0 <= acc <= 1.0
