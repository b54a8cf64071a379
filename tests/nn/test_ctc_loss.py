"""ctc_loss / CTCLoss against PyTorch: values and gradients for padded and concatenated targets,
repeated labels, empty targets, another blank, unbatched input, float32, zero_infinity; the
gradient of the logits through log_softmax against finite differences; bad arguments."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn as nn
import fastgrad.nn.functional as F

torch = pytest.importorskip("torch")


def log_probs(shape, seed=0):
    z = np.random.default_rng(seed).standard_normal(shape)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


# targets (padded rows), input lengths, target lengths, blank
CASES = {
    "padded": (np.array([[1, 2, 2, 0], [3, 1, 4, 4], [2, 0, 0, 0]]), [12, 10, 7], [3, 4, 1], 0),
    "repeats-and-empty": (np.array([[1, 1, 1], [2, 2, 0], [0, 0, 0]]), [12, 6, 5], [3, 2, 0], 4),
    "blank-in-the-middle": (np.array([[0, 1, 3], [4, 4, 0], [1, 0, 0]]), [9, 12, 3], [3, 2, 2], 2),
}


def run(lib, lp, targets, in_len, tgt_len, dtype, concatenated=False, **kwargs):
    x = lib.tensor(lp.astype(dtype), requires_grad=True)
    functional = F if lib is fg else torch.nn.functional
    if concatenated:
        targets = np.concatenate([row[:n] for row, n in zip(targets, tgt_len)])
    t = lib.tensor(targets)
    loss = functional.ctc_loss(x, t, in_len, tgt_len, **kwargs)
    w = np.linspace(0.5, 1.5, max(int(np.prod(tuple(loss.shape))), 1))
    (loss * lib.tensor(w.reshape(tuple(loss.shape)).astype(dtype))).sum().backward()
    value = loss.detach().numpy() if lib is torch else loss.numpy()
    return value, np.asarray(x.grad)


@pytest.mark.parametrize("dtype,tol", [(np.float64, dict(rtol=1e-11, atol=1e-13)),
                                       (np.float32, dict(rtol=2e-5, atol=2e-6))])
@pytest.mark.parametrize("concatenated", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_equals_torch(case, concatenated, dtype, tol):
    targets, in_len, tgt_len, blank = CASES[case]
    lp = log_probs((12, 3, 5))
    for reduction in ("none", "mean", "sum"):
        ours = run(fg, lp, targets, in_len, tgt_len, dtype, concatenated, blank=blank,
                   reduction=reduction)
        theirs = run(torch, lp, targets, in_len, tgt_len, dtype, concatenated, blank=blank,
                     reduction=reduction)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, **tol, err_msg=reduction)


def test_unbatched_equals_torch():
    lp = log_probs((8, 4), seed=1)
    for reduction in ("none", "mean"):
        ours = run(fg, lp, np.array([1, 3, 3]), [8], [3], np.float64, reduction=reduction)
        theirs = run(torch, lp, np.array([1, 3, 3]), [8], [3], np.float64, reduction=reduction)
        assert ours[0].shape == theirs[0].shape == ()
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_impossible_alignment_is_inf_or_zero_with_zero_infinity():
    lp = log_probs((4, 2, 5), seed=2)
    targets, in_len, tgt_len = np.array([[1, 1, 1], [2, 3, 0]]), [4, 4], [3, 2]  # 1,1,1 needs 5
    assert np.isinf(run(fg, lp, targets, in_len, tgt_len, np.float64, reduction="none")[0][0])
    ours = run(fg, lp, targets, in_len, tgt_len, np.float64, zero_infinity=True)
    theirs = run(torch, lp, targets, in_len, tgt_len, np.float64, zero_infinity=True)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_gradient_of_logits_through_log_softmax_matches_finite_differences():
    z = fg.tensor(np.random.default_rng(3).standard_normal((6, 2, 4)), requires_grad=True)
    targets, in_len, tgt_len = np.array([[1, 2], [3, 3]]), [6, 5], [2, 2]
    assert fg.gradcheck(lambda x: F.ctc_loss(F.log_softmax(x, dim=-1), targets, in_len,
                                             tgt_len, reduction="none"), (z,))


def test_module_equals_torch():
    lp = log_probs((10, 2, 6), seed=4)
    targets, in_len, tgt_len = np.array([[1, 5, 2], [3, 3, 3]]), [10, 9], [3, 2]
    ours = nn.CTCLoss(blank=0, reduction="sum")(fg.tensor(lp), targets, in_len, tgt_len)
    theirs = torch.nn.CTCLoss(blank=0, reduction="sum")(torch.tensor(lp), torch.tensor(targets),
                                                        in_len, tgt_len)
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)


LP = log_probs((5, 2, 4))


@pytest.mark.parametrize("call,argument", [
    (lambda: F.ctc_loss(LP, np.array([[1, 2], [1, 0]]), [5, 6], [2, 1]), "input_lengths"),
    (lambda: F.ctc_loss(LP, np.array([[1, 2], [1, 0]]), [5, 5], [2, 3]), "targets"),
    (lambda: F.ctc_loss(LP, np.array([[1, 2], [1, 0]]), [5], [2, 1]), "input_lengths"),
    (lambda: F.ctc_loss(LP, np.array([[1, 0], [1, 0]]), [5, 5], [2, 1]), "blank"),
    (lambda: F.ctc_loss(LP, np.array([[1, 7], [1, 0]]), [5, 5], [2, 1]), "targets"),
    (lambda: F.ctc_loss(LP, np.array([1, 2, 3]), [5, 5], [2, 2]), "target_lengths"),
    (lambda: F.ctc_loss(LP, np.array([[1, 2], [1, 0]]), [5, 5], [2, 1], blank=4), "blank"),
    (lambda: F.ctc_loss(LP, np.array([[1, 2], [1, 0]]), [5, 5], [2, 1], reduction="avg"),
     "reduction"),
    (lambda: F.ctc_loss(LP, np.array([[1.0, 2.0]]), [5, 5], [2, 1]), "targets"),
    (lambda: F.ctc_loss(LP[0], np.array([[1, 2]]), [5], [2]), "log_probs"),
])
def test_bad_arguments_are_refused_naming_them(call, argument):
    with pytest.raises((ValueError, TypeError), match=argument):
        call()
