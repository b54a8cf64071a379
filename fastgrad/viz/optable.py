"""Every op's forward and local derivative as formulas, in one table.

The code of each op (fastgrad/ops.py, fastgrad/functions/) has its derivative beside its
forward; this table writes the same derivatives as a student reads them, for the labels of
draw() and the lines of explain(). Inputs are named a, b (or x, t, W as the op's own docstring
does); out is the op's output; g is the gradient arriving from above, for the ops whose local
derivative is a matrix product rather than a number per element.

    OPS[name] = (forward formula, (local derivative for input 0, for input 1, ...))

`name` is the op's Function class name, or "Linear" and an activation's name for the layers
of a fused run, which draw() and explain() show one by one.
"""
from .. import _kernels

#: op name -> (forward formula, (local derivative for input 0, for input 1, ...))
OPS = {
    # ---- arithmetic (ops.py)
    "Add": ("a + b", ("1", "1")),
    "Sub": ("a − b", ("1", "−1")),
    "Mul": ("a · b", ("b", "a")),
    "Div": ("a / b", ("1/b", "−a/b²")),
    "Pow": ("a^b", ("b·a^(b−1)", "a^b·ln a")),
    "Neg": ("−a", ("−1",)),
    "MatMul": ("A @ B", ("g @ Bᵀ", "Aᵀ @ g")),
    # ---- elementwise functions
    "Exp": ("exp(a)", ("exp(a)",)),
    "Log": ("ln a", ("1/a",)),
    "Sqrt": ("√a", ("1/(2√a)",)),
    "Abs": ("|a|", ("sign(a)",)),
    "Cast": ("a in another dtype", ("1",)),
    # ---- more elementwise math (ops_math.py)
    "Sin": ("sin a", ("cos a",)),
    "Cos": ("cos a", ("−sin a",)),
    "Log1p": ("ln(1 + a)", ("1/(1 + a)",)),
    "Round": ("a rounded", ("0 (a step function)",)),
    "Clamp": ("min(max(a, lo), hi)", ("1 where lo ≤ a ≤ hi, else 0", "1 where a < lo, else 0",
                                       "1 where out = hi, else 0")),
    "Where": ("a where cond, else b", ("none (a condition)", "1 where cond, else 0",
                                        "1 where not cond, else 0")),
    "Maximum": ("max(a, b)", ("1 where a > b, ½ at ties, else 0",
                              "1 where b > a, ½ at ties, else 0")),
    "Minimum": ("min(a, b)", ("1 where a < b, ½ at ties, else 0",
                              "1 where b < a, ½ at ties, else 0")),
    # ---- the rest of the arithmetic (ops_math.py)
    "Reciprocal": ("1/a", ("−1/a²",)),
    "Square": ("a²", ("2a",)),
    "Rsqrt": ("1/√a", ("−1/(2a√a)",)),
    "Sign": ("sign(a)", ("0 (a step function)",)),
    "Floor": ("⌊a⌋", ("0 (a step function)",)),
    "Ceil": ("⌈a⌉", ("0 (a step function)",)),
    "Trunc": ("a rounded toward 0", ("0 (a step function)",)),
    "Frac": ("a − trunc(a)", ("1",)),
    "Exp2": ("2^a", ("2^a·ln 2",)),
    "Expm1": ("e^a − 1", ("e^a",)),
    "Log2": ("log₂ a", ("1/(a·ln 2)",)),
    "Log10": ("log₁₀ a", ("1/(a·ln 10)",)),
    "Erf": ("erf(a)", ("2/√π·e^(−a²)",)),
    "Sinh": ("sinh a", ("cosh a",)),
    "Cosh": ("cosh a", ("sinh a",)),
    "Asin": ("arcsin a", ("1/√(1 − a²)",)),
    "Acos": ("arccos a", ("−1/√(1 − a²)",)),
    "Atan": ("arctan a", ("1/(1 + a²)",)),
    "Atan2": ("atan2(a, b)", ("b/(a² + b²)", "−a/(a² + b²)")),
    "Hypot": ("√(a² + b²)", ("a/out", "b/out")),
    "DivRounded": ("a / b rounded (trunc or floor)", ("0 (a step function)",
                                                      "0 (a step function)")),
    "Remainder": ("a − b·⌊a/b⌋", ("1", "−⌊a/b⌋")),
    "Fmod": ("a − b·trunc(a/b)", ("1", "−trunc(a/b)")),
    "Lerp": ("a + w·(b − a)", ("1 − w", "w", "b − a")),
    # ---- reductions and shapes
    "Sum": ("Σ a", ("1 for each summed element",)),
    "Mean": ("mean(a)", ("1/n for each of the n elements",)),
    "Max": ("max(a)", ("1 at the maximum (ties share it), else 0",)),
    "MaxAlongDim": ("max(a, dim)", ("1 at the chosen index, else 0",)),
    "Min": ("min(a)", ("1 at the minimum (ties share it), else 0",)),
    "MinAlongDim": ("min(a, dim)", ("1 at the chosen index, else 0",)),
    "Prod": ("Π a", ("the product of the other elements",)),
    "Norm": ("(Σ |a|^p)^(1/p)", ("a·|a|^(p−2) / out^(p−1)  (p = 2: a / out)",)),
    "Var": ("Σ (a − mean)² / (n − correction)", ("2(a − mean) / (n − correction)",)),
    "Logsumexp": ("ln Σ exp(a)", ("exp(a − out), the softmax of a",)),
    "Cumsum": ("out_i = a_0 + … + a_i", ("1 for every out_j with j ≥ i (Σ_{j≥i} g_j)",)),
    "Cumprod": ("out_i = a_0 · … · a_i", ("Π_{k≤j, k≠i} a_k for every out_j with j ≥ i",)),
    "Median": ("the lower median of a", ("1 at the median (ties share it), else 0",)),
    # ---- selection by index (ops_scatter.py, ops_sort.py)
    "Gather": ("a at index along dim", ("1 added at each position read, else 0",)),
    "Sort": ("a sorted along dim", ("1 at the element each value came from, else 0",)),
    "Topk": ("the k largest of a along dim", ("1 at each chosen element, else 0",)),
    "Kthvalue": ("the k-th smallest of a along dim", ("1 at the chosen element, else 0",)),
    "MedianAlongDim": ("median(a, dim)", ("1 at the chosen index, else 0",)),
    "Mode": ("the most frequent value of a along dim", ("1 at the chosen index, else 0",)),
    "IndexSelect": ("the slices of a at index along dim", ("1 added at each slice taken, else 0",)),
    "MaskedSelect": ("a where mask, as 1-d", ("1 at each selected element, else 0",
                                              "none (a mask)")),
    "IndexAdd": ("a, then out[index_i] += α·src_i along dim", ("1", "α at each slice added")),
    "ScatterAdd": ("a, then out[index_ij] += src_ij along dim",
                   ("1", "1 for each element added (g read at its index), else 0")),
    "IndexFill": ("a with the slices at index set to value",
                  ("1 outside the filled slices, else 0",)),
    "MaskedScatter": ("a with src's elements, in order, where mask",
                      ("1 where not mask, else 0", "1 for each element written, else 0")),
    "Select": ("the slice of a at index along dim", ("1 on that slice, else 0",)),
    "NanToNum": ("a with NaN, ±inf replaced by numbers", ("1 where a is finite, else 0",)),
    "Reshape": ("a reshaped", ("1 (the gradient reshaped back)",)),
    "Permute": ("a with its axes permuted", ("1 (the gradient permuted back)",)),
    "GetItem": ("a[index]", ("1 at each selected element, else 0",)),
    "Clone": ("a copied", ("1",)),
    "Expand": ("a broadcast to a shape", ("1 (the gradient summed over the copies)",)),
    "Repeat": ("a tiled", ("1 (the gradient summed over the tiles)",)),
    "Cat": ("the inputs joined along dim", ("", "1 on its own slice, else 0")),
    "_Outputs": ("the outputs one backward() starts from", ("its own starting gradient",)),
    "Stack": ("the inputs stacked along a new dim", ("", "1 on its own layer, else 0")),
    "Flip": ("a reversed along dims", ("1 (the gradient reversed back)",)),
    "Roll": ("a rotated along dims", ("1 (the gradient rotated back)",)),
    "Narrow": ("a[start:stop] along dim", ("1 on the slice, else 0",)),
    "Tril": ("lower triangle of a", ("1 on and below the diagonal, else 0",)),
    "Triu": ("upper triangle of a", ("1 on and above the diagonal, else 0",)),
    "Diagonal": ("the diagonal of a", ("1 at each diagonal element, else 0",)),
    "DiagEmbed": ("diag(a), a vector on a matrix's diagonal", ("1 at its place on the diagonal",)),
    # ---- einsum (ops_linalg.py): operand i's derivative contracts g with the other operands
    "Einsum": ("Σ of products of the operands' elements", ("", "einsum(g, the other operands)")),
    # d = x1ᵢ − x2ⱼ; 0 where dist = 0; p = ∞: sign(d) on the coordinates attaining the max
    "Cdist": ("dist = ‖x1ᵢ − x2ⱼ‖_p", ("", "", "Σⱼ g·sign(d)·|d|^(p−1)/dist^(p−1)",
                                        "−Σᵢ g·sign(d)·|d|^(p−1)/dist^(p−1)")),
    # ---- fastgrad.linalg; g is the gradient from above, ᵀ a matrix transpose; QR, Eigh and
    # SVD return their factors packed side by side, so g holds each factor's gradient
    "Det": ("det A", ("g·det(A)·A⁻ᵀ (the cofactor matrix)",)),
    "LogAbsDet": ("ln |det A|", ("g·A⁻ᵀ",)),
    "Inv": ("A⁻¹", ("−A⁻ᵀ g A⁻ᵀ",)),
    "Solve": ("X = A⁻¹B", ("−A⁻ᵀ g Xᵀ", "A⁻ᵀ g")),
    "Cholesky": ("L with A = L Lᵀ", ("L⁻ᵀ Φ(Lᵀ g) L⁻¹ (Φ: lower triangle, diagonal halved, "
                                     "mirrored)",)),
    "QR": ("Q, R with A = QR", ("(gQ + Q copyltu(R gRᵀ − gQᵀ Q)) R⁻ᵀ",)),
    "Eigh": ("λ, V with A = V diag(λ) Vᵀ",
             ("V (diag(gλ) + ½(Vᵀ gV − gVᵀ V) / (λⱼ − λᵢ)) Vᵀ",)),
    "SVD": ("U, S, Vh with A = U diag(S) Vh",
            ("U (diag(gS) + ((Uᵀ gU − gUᵀ U) S + S (Vh gVhᵀ − gVh Vhᵀ)) / (sⱼ² − sᵢ²)) Vh "
             "+ the parts of gU, gVh outside U's, Vh's span",)),
    "SolveTriangular": ("X = T⁻¹B, T a triangle of A", ("that triangle of −T⁻ᵀ g Xᵀ",
                                                        "T⁻ᵀ g")),
    "MatrixExp": ("exp(A) = Σ Aᵏ/k!", ("the upper-right block of exp([[Aᵀ, g], [0, Aᵀ]])",)),
    "LU": ("P, L, U with A = P L U", ("P L⁻ᵀ (tril(Lᵀ gL, −1) + triu(gU Uᵀ)) U⁻ᵀ (square A)",)),
    "Pinv": ("A⁺", ("−A⁺ᵀ g A⁺ᵀ + (I − A A⁺) gᵀ A⁺ A⁺ᵀ + A⁺ᵀ A⁺ gᵀ (I − A⁺ A)",)),
    # ---- a dense layer (one layer of a fused run: fastgrad/functions/dense.py)
    "Linear": ("x Wᵀ + b", ("g W", "gᵀ x", "Σ over the batch of g")),
    # ---- activations (the kernels' table: fastgrad/functions/activation.py)
    "none": ("x", ("1",)),
    "relu": ("max(0, x)", ("1 if x > 0 else 0",)),
    "tanh": ("tanh(x)", ("1 − out²",)),
    "sigmoid": ("σ(x)", ("σ(x)·(1 − σ(x)) = out·(1 − out)",)),
    "leaky_relu": ("x if x > 0 else α·x", ("1 if x > 0 else α",)),
    "gelu": ("x·Φ(x)", ("Φ(x) + x·φ(x)",)),
    "gelu_tanh": ("x·Φ(x), tanh approximation", ("the approximation's derivative",)),
    "elu": ("x if x > 0 else α(e^x − 1)", ("1 if x > 0 else α·e^x",)),
    "silu": ("x·σ(x)", ("σ(x)·(1 + x·(1 − σ(x)))",)),
    "softplus": ("ln(1 + e^(βx))/β", ("σ(βx)",)),
    "SoftplusFunction": ("ln(1 + e^(βx))/β", ("σ(βx)",)),
    "relu6": ("min(max(x, 0), 6)", ("1 if 0 < x < 6 else 0",)),
    "selu": ("λx if x > 0 else λα(e^x − 1)", ("λ if x > 0 else λα·e^x",)),
    "celu": ("x if x > 0 else α(e^(x/α) − 1)", ("1 if x > 0 else e^(x/α)",)),
    "mish": ("x·tanh(softplus(x))", ("t + x·σ(x)·(1 − t²), t = tanh(softplus(x))",)),
    "softsign": ("x/(1 + |x|)", ("1/(1 + |x|)²",)),
    "hardsigmoid": ("min(max(x + 3, 0), 6)/6", ("1/6 if −3 < x < 3 else 0",)),
    "hardswish": ("x·min(max(x + 3, 0), 6)/6", ("0 if x < −3, x/3 + ½ if x ≤ 3, else 1",)),
    "logsigmoid": ("ln σ(x)", ("1 − σ(x)",)),
    "tanhshrink": ("x − tanh(x)", ("tanh²(x)",)),
    "HardtanhFunction": ("min(max(x, lo), hi)", ("1 if lo < x < hi else 0",)),
    "ThresholdFunction": ("x if x > θ else v", ("1 if x > θ else 0",)),
    "PReLUFunction": ("x if x > 0 else w·x", ("1 if x > 0 else w", "0 if x > 0 else x")),
    "EmbeddingFunction": ("W[i]: the rows of W at the indices i",
                          ("1 added to each row read, once per read (none for padding_idx)",)),
    "PadFunction": ("x padded (constant, or copies of x at the border)",
                    ("the gradient cropped back, copies' added to the position they copied",)),
    "SoftmaxFunction": ("softmax(x) or log_softmax(x)",
                        ("out·(g − Σ g·out)  (log: g − e^out·Σ g)",)),
    # ---- normalisation (fastgrad/functions/normalization.py)
    "LayerNormFunction": ("(x − mean)/√(var + ε)·w + b",
                          ("rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = g·w", "Σ g·x̂", "Σ g")),
    "BatchNormFunction": ("(x − mean)/√(var + ε)·w + b per channel",
                          ("rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = g·w", "Σ g·x̂", "Σ g")),
    # ---- losses (fastgrad/functions/loss.py); ÷ n where the reduction is the mean
    "CrossEntropyFunction": ("−ln softmax(x)[t]", ("softmax(x) − onehot(t)",)),
    "SoftTargetCrossEntropyFunction": ("−Σ a·log_softmax(x)", ("softmax(x)·Σ a − a",)),
    "NLLFunction": ("−w[t]·x[t]", ("−w[t] at the target, else 0",)),
    "MSEFunction": ("(x − t)²", ("2(x − t)", "−2(x − t)")),
    "L1Function": ("|x − t|", ("sign(x − t)", "−sign(x − t)")),
    "HuberFunction": ("½d² if |d| ≤ δ else δ(|d| − ½δ), d = x − t",
                      ("clip(x − t, −δ, δ)", "−clip(x − t, −δ, δ)")),
    "BCEFunction": ("−(t ln x + (1 − t) ln(1 − x))",
                    ("(x − t)/(x(1 − x))", "ln(1 − x) − ln x")),
    "BCEWithLogitsFunction": ("(1 − t)x + softplus(−x)", ("σ(x) − t", "−x")),
    "KLDivFunction": ("t(ln t − x), or eᵗ(t − x) with log_target",
                      ("−t, or −eᵗ", "ln t + 1 − x, or eᵗ(t − x + 1)")),
    "PoissonNLLFunction": ("eˣ − t·x (log_input), else x − t·ln(x + ε)",
                           ("eˣ − t, else 1 − t/(x + ε)", "−x, else −ln(x + ε)")),
    "GaussianNLLFunction": ("½(ln v + (x − t)²/v)",
                            ("(x − t)/v", "−(x − t)/v", "½(1/v − (x − t)²/v²)")),
    # ---- margin losses (fastgrad/functions/loss_margin.py); 0 where the hinge is inactive
    "MarginRankingFunction": ("max(0, −y(a − b) + margin)", ("−y", "y", "−(a − b)")),
    "HingeEmbeddingFunction": ("x if y = 1, max(0, margin − x) if y = −1",
                               ("1 if y = 1, −1 if y = −1 and x ≤ margin",)),
    "SoftMarginFunction": ("ln(1 + e^(−y·x))", ("−y·σ(−y·x)", "−x·σ(−y·x)")),
    "CosineEmbeddingFunction": ("1 − cos(a, b) if y = 1, max(0, cos(a, b) − margin) if y = −1",
                                ("∓(b/(|a||b|) − cos·a/|a|²)", "∓(a/(|a||b|) − cos·b/|b|²)")),
    "TripletMarginFunction": ("max(0, margin + ‖a − p‖ − ‖a − n‖)",
                              ("∇‖a − p‖ − ∇‖a − n‖", "−∇‖a − p‖", "∇‖a − n‖")),
    "MultiMarginFunction": ("Σᵢ max(0, margin − x[y] + x[i])ᵖ / C",
                            ("p·zᵖ⁻¹/C at each active i, minus their sum at y",)),
    "MultiLabelMarginFunction": ("Σⱼ Σᵢ max(0, 1 − x[j] + x[i]) / C",
                                 ("+1/C at i, −1/C at j per active pair",)),
    "CTCLossFunction": ("−ln Σ over alignments Π exp(lp[t, π_t])",
                        ("exp(lp) − exp(logΣ αβ[t, s: l′ₛ = c] + loss − lp)",)),
}

_ACTIVATION_NAMES = {code: name for name, code in _kernels.ACTIVATIONS.items()}

DISPLAY = {  # how a node is titled where the class name reads poorly
    "DenseStackFunction": "Linear stack",
    "SoftplusFunction": "Softplus", "SoftmaxFunction": "Softmax",
    "LayerNormFunction": "LayerNorm", "BatchNormFunction": "BatchNorm",
    "CrossEntropyFunction": "CrossEntropy",
    "SoftTargetCrossEntropyFunction": "CrossEntropy (soft targets)",
    "NLLFunction": "NLLLoss", "MSEFunction": "MSELoss", "L1Function": "L1Loss",
    "HuberFunction": "HuberLoss", "BCEFunction": "BCELoss",
    "BCEWithLogitsFunction": "BCEWithLogitsLoss",
    "KLDivFunction": "KLDivLoss", "PoissonNLLFunction": "PoissonNLLLoss",
    "GaussianNLLFunction": "GaussianNLLLoss", "MarginRankingFunction": "MarginRankingLoss",
    "HingeEmbeddingFunction": "HingeEmbeddingLoss", "SoftMarginFunction": "SoftMarginLoss",
    "CosineEmbeddingFunction": "CosineEmbeddingLoss",
    "TripletMarginFunction": "TripletMarginLoss",
    "MultiMarginFunction": "MultiMarginLoss", "MultiLabelMarginFunction": "MultiLabelMarginLoss",
    "CTCLossFunction": "CTCLoss",
    "none": "identity", "relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid",
    "leaky_relu": "LeakyReLU", "gelu": "GELU", "gelu_tanh": "GELU (tanh)", "elu": "ELU",
    "silu": "SiLU", "softplus": "Softplus",
    "relu6": "ReLU6", "selu": "SELU", "celu": "CELU", "mish": "Mish", "softsign": "Softsign",
    "hardsigmoid": "Hardsigmoid", "hardswish": "Hardswish", "logsigmoid": "LogSigmoid",
    "tanhshrink": "Tanhshrink", "HardtanhFunction": "Hardtanh",
    "ThresholdFunction": "Threshold", "PReLUFunction": "PReLU",
    "EmbeddingFunction": "Embedding", "PadFunction": "pad",
}


def activation_name(code):
    """The name of an activation of the kernels' table from its code (_kernels.ACTIVATIONS)."""
    return _ACTIVATION_NAMES.get(int(code), f"activation {code}")


def forward_formula(op):
    """The op's forward as a formula, or None for an op the table does not know (a user's)."""
    entry = OPS.get(op)
    return entry[0] if entry else None


VARIADIC = {"Cat", "Stack", "Einsum", "_Outputs"}  # (dim or spec, *inputs): last entry for all

_ARGS = {"MatMul": ("A", "B"), "Linear": ("x", "W", "b"), "Clamp": ("a", "lo", "hi"),
         "Where": ("cond", "a", "b"), "Cat": ("dim", "input"), "Stack": ("dim", "input"),
         "Einsum": ("equation", "operand"), "Cdist": ("p", "use_mm", "x1", "x2"),
         "LayerNormFunction": ("x", "w", "b"), "BatchNormFunction": ("x", "w", "b"),
         "PReLUFunction": ("x", "w"), "EmbeddingFunction": ("W",)}
_ARGS["Lerp"] = ("a", "b", "w")  # lerp(input, end, weight)
_ARGS.update({name: ("A",) for name in ("Det", "LogAbsDet", "Inv", "Cholesky", "QR", "Eigh",
                                        "SVD", "Pinv", "MatrixExp", "LU")})
_ARGS["Solve"] = _ARGS["SolveTriangular"] = ("A", "B")
_ARGS.update({"GaussianNLLFunction": ("x", "t", "var"), "MarginRankingFunction": ("a", "b", "y"),
              "CosineEmbeddingFunction": ("a", "b", "y"), "SoftMarginFunction": ("x", "y"),
              "TripletMarginFunction": ("a", "p", "n")})
_LOSS_ARGS = ("x", "t")


def argument_name(op, position):
    """The name the op's formulas give its input `position` (a, b; x, t; x, W, b)."""
    if op in _ARGS:
        names = _ARGS[op]
    elif op.endswith("Function") or op in _ACTIVATION_NAMES.values():
        names = _LOSS_ARGS
    else:
        names = ("a", "b")
    if position >= len(names) and op in VARIADIC:
        return names[-1]
    return names[position] if position < len(names) else f"input {position}"


def rule(op, position):
    """'d(a · b)/da = b': the op's local derivative for one input, or None if unknown."""
    local = local_formula(op, position)
    if local is None:
        return None
    return f"d({OPS[op][0]})/d{argument_name(op, position)} = {local}"


def local_formula(op, position):
    """d out / d (input `position`) as a formula, or None where the table has none."""
    entry = OPS.get(op)
    if entry is None:
        return None
    if position >= len(entry[1]) and op in VARIADIC:
        position = len(entry[1]) - 1
    return entry[1][position] if position < len(entry[1]) else None


def title(op):
    """The node title for an op: its display name, else its class name."""
    return DISPLAY.get(op, op)
