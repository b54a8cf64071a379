"""benchmarks/peers.py, which `fastgrad bench` runs: the comparison runs, reports every peer."""
import io
import os
import sys

import numpy as np
import pytest

BENCHMARKS = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "benchmarks")
sys.path.insert(0, os.path.abspath(BENCHMARKS))
import peers as bench  # noqa: E402


def test_every_step_function_runs_and_learns():
    w = bench.WORKLOADS["T"]._replace(sizes=(2, 8, 1))
    x, y = bench.batch_for(w)
    for framework, make in bench.STEP_FACTORIES.items():
        if framework == "torch":
            try:
                import torch  # noqa: F401
            except ImportError:
                continue
        step = make(w)
        for _ in range(3):
            step()  # raises if the hand-written chain rule or an API call is broken


@pytest.mark.slow  # three frameworks, each timed in its own process
def test_bench_table_lists_each_framework(monkeypatch):
    monkeypatch.setattr(bench, "accuracy_in_subprocess", lambda threads: (0.01, 5, 0.975))
    out = io.StringIO()
    results = bench.run(["T"], threads=(1,), rounds=1, min_seconds=0.01, progress=False, out=out)
    med = results[("T", 1)]
    assert med["fastgrad"] > 0 and med["numpy"] > 0
    text = out.getvalue()
    assert "T " in text and "vs torch" in text and "time to 97%" in text
    assert np.isfinite(med["fastgrad"])
    assert results[("digits", 1)] == 0.01


def test_accuracy_run_in_its_own_process_reaches_the_target():
    seconds, epochs, acc = bench.accuracy_in_subprocess(1)
    assert seconds > 0 and epochs >= 1 and acc >= 0.97


def test_train_to_accuracy_reaches_the_target_and_reports_the_models_accuracy():
    run = bench.digits_run(seed=0)
    seconds, epochs, acc = bench.train_to_accuracy(run, target=0.97, max_epochs=40)
    assert seconds > 0 and 1 <= epochs < 40
    # the accuracy it reports is the model's, recomputed here by hand
    logits = run["model"](run["Xte"]).numpy()
    assert acc == float(np.mean(np.argmax(logits, axis=1) == run["yte"])) >= 0.97
