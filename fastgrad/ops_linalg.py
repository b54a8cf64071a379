"""Products of vectors and matrices in PyTorch's names: bmm, dot, mv, outer, addmm (baddbmm,
addmv, addr), einsum (tensordot, inner), cross, kron, block_diag, cartesian_prod, cdist. The
products (not einsum, block_diag, cartesian_prod, cdist) also take PyTorch's out=.

bmm, dot, mv and outer are matmul (ops.MatMul, whose derivative is g Bᵀ and Aᵀ g) with
PyTorch's stricter shape checks; the add* ops add a scaled tensor to a scaled product. einsum is
a Function: its derivative for each operand is an einsum of the gradient with the
other operands; tensordot and inner are einsums.

cross, kron, block_diag and cartesian_prod are compositions of differentiable ops (narrow,
products, cat, meshgrid, stack); cdist is a Function whose local derivative is that of a p-norm.
"""
import functools
import numbers

import numpy as np

from .autograd import ArrayFunction as Function
from .dtypes import get_default_dtype, result_type
from .ops import MatMul, Reshape, unbroadcast
from .ops_math import _with_out, as_tensor_input
from .ops_shape import cat, meshgrid, narrow, normalize_dim, stack
from .tensor import Tensor


def _accepts_out(fn):
    """fn with PyTorch's out= keyword: the result written into a given tensor (ops_math's
    rules: no gradient through such a call, a same-kind cast, an empty out resized)."""
    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        return _with_out(fn.__name__, out, args, lambda: fn(*args, **kwargs))
    return with_out


def _check_ndim(t, ndim, where):
    if t.ndim != ndim:
        kind = {1: "a vector (1-d)", 2: "a matrix (2-d)", 3: "a batch of matrices (3-d)"}[ndim]
        raise ValueError(f"{where} must be {kind}, got shape {t.shape}")


def _promoted(*ts):
    dt = result_type(*ts)
    return [t if t.dtype == dt else t.to(dt) for t in ts]


# ---- matmul with PyTorch's shape checks ---------------------------------------------------------

@_accepts_out
def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) tensors, no broadcasting (torch.bmm)."""
    a, b = as_tensor_input(input), as_tensor_input(mat2, "mat2")
    _check_ndim(a, 3, "bmm: input")
    _check_ndim(b, 3, "bmm: mat2")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise ValueError(f"bmm: input of shape {a.shape} and mat2 of shape {b.shape} do not "
                         "match (expected (b, n, m) and (b, m, p))")
    return MatMul.apply(*_promoted(a, b))


@_accepts_out
def dot(input, tensor):
    """The inner product of two vectors of one length, a 0-d tensor (torch.dot)."""
    a, b = as_tensor_input(input), as_tensor_input(tensor, "tensor")
    _check_ndim(a, 1, "dot: input")
    _check_ndim(b, 1, "dot: tensor")
    if a.shape != b.shape:
        raise ValueError(f"dot: input has {a.shape[0]} elements and tensor has {b.shape[0]}")
    return MatMul.apply(*_promoted(a, b))


@_accepts_out
def mv(input, vec):
    """The product of an (n, m) matrix and an m-vector, an n-vector (torch.mv)."""
    a, v = as_tensor_input(input), as_tensor_input(vec, "vec")
    _check_ndim(a, 2, "mv: input")
    _check_ndim(v, 1, "mv: vec")
    if a.shape[1] != v.shape[0]:
        raise ValueError(f"mv: input of shape {a.shape} and vec of {v.shape[0]} elements do "
                         "not match")
    return MatMul.apply(*_promoted(a, v))


@_accepts_out
def outer(input, vec2):
    """The outer product of an n-vector and an m-vector, an (n, m) matrix (torch.outer, alias
    ger): a column times a row."""
    a, b = as_tensor_input(input), as_tensor_input(vec2, "vec2")
    _check_ndim(a, 1, "outer: input")
    _check_ndim(b, 1, "outer: vec2")
    a, b = _promoted(a, b)
    return MatMul.apply(Reshape.apply(a, (a.shape[0], 1)), Reshape.apply(b, (1, b.shape[0])))


ger = outer


def _scaled_sum(name, input, product, beta, alpha):
    """beta * input + alpha * product, input broadcast to the product's shape; with beta = 0
    input is ignored, NaN included, as in PyTorch."""
    try:
        if np.broadcast_shapes(input.shape, product.shape) != product.shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"{name}: input of shape {input.shape} does not broadcast to the "
                         f"product's shape {product.shape}") from None
    if input.dtype != product.dtype:
        input = input.to(product.dtype)
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return product + (input if beta == 1 else input * beta)


@_accepts_out
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape
    (torch.addmm). With beta = 0 input is ignored, NaN included, as in PyTorch."""
    c = as_tensor_input(input)
    a, b = as_tensor_input(mat1, "mat1"), as_tensor_input(mat2, "mat2")
    _check_ndim(a, 2, "addmm: mat1")
    _check_ndim(b, 2, "addmm: mat2")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"addmm: mat1 of shape {a.shape} and mat2 of shape {b.shape} do not "
                         "match")
    return _scaled_sum("addmm", c, MatMul.apply(*_promoted(a, b, c)[:2]), beta, alpha)


@_accepts_out
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2) (torch.baddbmm)."""
    product = bmm(as_tensor_input(batch1, "batch1"), as_tensor_input(batch2, "batch2"))
    return _scaled_sum("baddbmm", as_tensor_input(input), product, beta, alpha)


@_accepts_out
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * mv(mat, vec) (torch.addmv)."""
    product = mv(as_tensor_input(mat, "mat"), as_tensor_input(vec, "vec"))
    return _scaled_sum("addmv", as_tensor_input(input), product, beta, alpha)


@_accepts_out
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2) (torch.addr)."""
    product = outer(as_tensor_input(vec1, "vec1"), as_tensor_input(vec2, "vec2"))
    return _scaled_sum("addr", as_tensor_input(input), product, beta, alpha)


@_accepts_out
def tensordot(a, b, dims=2):
    """The sum of products over dimensions of a and b (torch.tensordot): dims an int (a's last
    dims against b's first) or two lists of dimensions paired in order. Computed by einsum."""
    a, b = as_tensor_input(a, "a"), as_tensor_input(b, "b")
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        if not 0 <= dims <= min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: dims={dims} must be in [0, {min(a.ndim, b.ndim)}] "
                             f"for shapes {a.shape} and {b.shape}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    elif isinstance(dims, (tuple, list)) and len(dims) == 2:
        da, db = ([d] if isinstance(d, (int, np.integer)) else list(d) for d in dims)
        if len(da) != len(db):
            raise ValueError(f"tensordot: dims {dims!r} pair {len(da)} dimensions of a with "
                             f"{len(db)} of b")
    else:
        raise TypeError(f"tensordot: dims must be an int or two lists of dimensions, got {dims!r}")
    da = [normalize_dim(d, a.ndim, "tensordot: dims (of a)") for d in da]
    db = [normalize_dim(d, b.ndim, "tensordot: dims (of b)") for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot: dimension {i} of a (size {a.shape[i]}) and dimension "
                             f"{j} of b (size {b.shape[j]}) do not match")
    if a.ndim + b.ndim > len(_LETTERS):
        raise ValueError("tensordot: too many dimensions")
    ta = _LETTERS[:a.ndim]
    tb = [None] * b.ndim
    for i, j in zip(da, db):
        tb[j] = ta[i]
    free = iter(_LETTERS[a.ndim:])
    tb = "".join(c if c is not None else next(free) for c in tb)
    out = "".join(c for k, c in enumerate(ta) if k not in da) + \
        "".join(c for k, c in enumerate(tb) if k not in db)
    return einsum(f"{ta},{tb}->{out}", a, b)


@_accepts_out
def inner(input, other):
    """The sum of products over the last dimension of both (torch.inner); a 0-d operand
    multiplies."""
    a, b = as_tensor_input(input), as_tensor_input(other, "other")
    if a.ndim == 0 or b.ndim == 0:
        a, b = _promoted(a, b)
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: the last dimensions of input {a.shape} and other {b.shape} "
                         "differ")
    return tensordot(a, b, ([-1], [-1]))


# ---- einsum -------------------------------------------------------------------------------------

class Einsum(Function):
    """np.einsum(spec, *arrays); spec is a parsed equation (inputs' letters, output letters)."""

    @staticmethod
    def forward(ctx, spec, *arrays):
        terms, out = spec
        ctx.spec = spec
        ctx.save_for_backward(*arrays)
        return np.asarray(_einsum(_equation(terms, out), *arrays))

    @staticmethod
    def backward(ctx, g):  # d out / d operand i: g contracted with every other operand
        terms, out = ctx.spec
        arrays = ctx.saved_tensors
        sizes = {}
        for term, a in zip(terms, arrays):
            for letter, n in zip(term, a.shape):
                sizes[letter] = max(sizes.get(letter, 1), n)
        grads = [None]
        for i, (term, a) in enumerate(zip(terms, arrays)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(terms) if j != i]
            known = set(out).union(*others)
            letters = "".join(dict.fromkeys(term))  # each letter once, in order
            kept = "".join(c for c in letters if c in known)
            ops = [g] + [x for j, x in enumerate(arrays) if j != i]
            r = _einsum(_equation([out] + others, kept), *ops)
            # a letter only this operand has was summed in forward: every element gets g
            kept_sizes = iter(r.shape)
            r = np.broadcast_to(r.reshape([next(kept_sizes) if c in known else 1 for c in letters]),
                                [sizes[c] for c in letters])
            if letters == term:
                full = np.ascontiguousarray(r)
            else:  # a repeated letter (ii) read a diagonal: einsum's view of it is writable
                full = np.zeros([sizes[c] for c in term], dtype=g.dtype)
                np.einsum(_equation([term], letters), full)[...] = r
            # a dimension of size 1 that einsum broadcast: its copies' gradients add up
            axes = tuple(k for k, n in enumerate(a.shape) if n == 1 and full.shape[k] != 1)
            grads.append(full.sum(axis=axes, keepdims=True) if axes else full)
        return tuple(grads)


def _einsum(equation, *arrays):
    # NumPy's contraction-order search (optimize=True) hands pairwise products to BLAS, several
    # times faster for a batched product of 64x64 matrices, but costs ~20 us: worth it only
    # beyond small operands or for three and more
    big = len(arrays) > 2 or sum(a.size for a in arrays) > 4096
    return np.einsum(equation, *arrays, optimize=big)


def _equation(terms, out):
    return ",".join(terms) + "->" + out


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@functools.lru_cache(maxsize=256)  # a model calls einsum with the same equation every step
def _parse(equation, shapes):
    """(terms, out): equation's subscripts with any '...' replaced by letters of its own,
    and the output's letters (implicit output: the letters seen once, alphabetically)."""
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise ValueError(f"einsum: equation {equation!r} has more than one '->'")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: equation {equation!r} names {len(terms)} operands but "
                         f"{len(shapes)} were given")
    for term in terms + [rhs]:
        bad = set(term.replace("...", "", 1)) - set(_LETTERS)
        if bad:
            raise ValueError(f"einsum: equation {equation!r} has invalid subscript(s) "
                             f"{sorted(bad)}; subscripts are letters and at most one '...' per "
                             "operand")
    used = set(eq) & set(_LETTERS)
    spare = [c for c in _LETTERS if c not in used]
    n_ell = max((len(s) - len(t) + 3 for t, s in zip(terms, shapes) if "..." in t), default=0)
    ellipsis = "".join(spare[:n_ell])
    expanded = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term) - 3 if "..." in term else len(term)
        if named > len(shape) or ("..." not in term and named != len(shape)):
            raise ValueError(f"einsum: operand {i} has {len(shape)} dimensions but its "
                             f"subscripts {term!r} in {equation!r} name {named}")
        if "..." in term:
            k = len(shape) - named
            term = term.replace("...", ellipsis[n_ell - k:])
        expanded.append(term)
    if arrow:
        rhs = rhs.replace("...", ellipsis)  # an output without '...' sums those dimensions
        for c in rhs:
            if rhs.count(c) > 1:
                raise ValueError(f"einsum: output subscript {c!r} appears more than once in "
                                 f"{equation!r}")
            if not any(c in t for t in expanded):
                raise ValueError(f"einsum: output subscript {c!r} of {equation!r} is in no "
                                 "operand")
        out = rhs
    else:
        counts = {}
        for c in "".join(expanded):
            counts[c] = counts.get(c, 0) + 1
        out = ellipsis + "".join(sorted(c for c, n in counts.items()
                                        if n == 1 and c not in ellipsis))
    sizes = {}
    for i, (term, shape) in enumerate(zip(expanded, shapes)):
        for c, n in zip(term, shape):
            if sizes.get(c, n) not in (n, 1) and n != 1:
                raise ValueError(f"einsum: subscript {c!r} has size {sizes[c]} and {n} "
                                 f"(operand {i}) in {equation!r}")
            sizes[c] = max(sizes.get(c, 1), n)
    return tuple(expanded), out


def _sublist_equation(args):
    """(equation, operands) from torch's sublist form einsum(op0, [0, 1], op1, [1, 2], [0, 2]):
    subscripts as ints in [0, 52) (or Ellipsis), an optional output sublist last."""
    pairs, out = list(args), None
    if len(pairs) % 2:
        out = pairs.pop()

    def letters(sub, where):
        if not isinstance(sub, (list, tuple)):
            raise TypeError(f"einsum: {where} must be a list of subscripts, got {sub!r}")
        text = ""
        for v in sub:
            if v is Ellipsis:
                text += "..."
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 <= v < 52:
                text += _LETTERS[v]
            else:
                raise ValueError(f"einsum: {where} has subscript {v!r}; subscripts are ints in "
                                 "[0, 52) or Ellipsis")
        return text

    terms = [letters(sub, f"the sublist of operand {i}") for i, sub in enumerate(pairs[1::2])]
    equation = ",".join(terms) + ("" if out is None else "->" + letters(out, "the output sublist"))
    return equation, pairs[0::2]


def einsum(*args):
    """Sums of products named by Einstein subscripts, einsum(equation, *operands)
    (torch.einsum): 'ij,jk->ik' is a matrix product, 'ii->' a trace, 'bij,bjk->bik' bmm.
    Operands may also be given as one list, or in torch's sublist form
    einsum(a, [0, 1], b, [1, 2], [0, 2]). Each operand may carry one '...' for its leading
    dimensions."""
    if not args:
        raise TypeError("einsum: expected an equation and operands")
    equation, operands = args[0], args[1:]
    if isinstance(equation, Tensor):
        equation, operands = _sublist_equation(args)
    elif not isinstance(equation, str):
        raise TypeError(f"einsum: equation must be a string, got {type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: at least one operand is needed")
    ts = _promoted(*[as_tensor_input(x, f"operand {i}") for i, x in enumerate(operands)])
    spec = _parse(equation, tuple(t.shape for t in ts))
    return Einsum.apply(spec, *ts)


# ---- cross, kron, block_diag, cartesian_prod: compositions of differentiable ops ----------------

def _first_dim_of_size_3(shape, where):
    for d, n in enumerate(shape):
        if n == 3:
            return d
    raise ValueError(f"{where}: no dimension of size 3 in shape {tuple(shape)}")


@_accepts_out
def cross(input, other, dim=None):
    """The cross product of 3-vectors along `dim` (torch.cross): the inputs broadcast; with
    dim=None the first dimension of size 3 (PyTorch's present default; torch.linalg.cross
    uses dim=-1)."""
    a, b = _promoted(as_tensor_input(input), as_tensor_input(other, "other"))
    if a.ndim != b.ndim:
        raise ValueError(f"cross: input and other must have the same number of dimensions, "
                         f"got {a.ndim} and {b.ndim}")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"cross: input of shape {a.shape} and other of shape {b.shape} do "
                         "not broadcast") from None
    d = _first_dim_of_size_3(shape, "cross") if dim is None else \
        normalize_dim(dim, len(shape), "cross: dim")
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise ValueError(f"cross: dim {d} must have size 3 in input and other, got "
                         f"{a.shape[d]} and {b.shape[d]}")
    ai = [narrow(a, d, i, 1) for i in range(3)]
    bi = [narrow(b, d, i, 1) for i in range(3)]
    return cat([ai[1] * bi[2] - ai[2] * bi[1],
                ai[2] * bi[0] - ai[0] * bi[2],
                ai[0] * bi[1] - ai[1] * bi[0]], dim=d)


@_accepts_out
def kron(input, other):
    """The Kronecker product (torch.kron): block (i, j, ...) is input[i, j, ...] * other; the
    operand with fewer dimensions gets leading ones."""
    a, b = _promoted(as_tensor_input(input), as_tensor_input(other, "other"))
    n = max(a.ndim, b.ndim)
    sa = (1,) * (n - a.ndim) + tuple(a.shape)
    sb = (1,) * (n - b.ndim) + tuple(b.shape)
    # a's dimensions interleaved with b's: out[i*nb + k] = a[i] * b[k] in every dimension
    a_shape = tuple(x for m in sa for x in (m, 1))
    b_shape = tuple(x for m in sb for x in (1, m))
    product = Reshape.apply(a, a_shape) * Reshape.apply(b, b_shape)
    return Reshape.apply(product, tuple(x * y for x, y in zip(sa, sb)))


def block_diag(*tensors):
    """The tensors (0-d, 1-d as one row, or 2-d) placed along the diagonal of one zero matrix
    (torch.block_diag), in their promoted dtype."""
    ts = [as_tensor_input(t, f"tensors[{i}]") for i, t in enumerate(tensors)]
    for i, t in enumerate(ts):
        if t.ndim > 2:
            raise ValueError(f"block_diag: tensors[{i}] must have 2 or fewer dimensions, got "
                             f"shape {t.shape}")
    if not ts:
        return Tensor(np.zeros((1, 0), dtype=get_default_dtype()))
    ts = _promoted(*ts)
    blocks = [Reshape.apply(t, (1, t.numel()) if t.ndim < 2 else tuple(t.shape)) for t in ts]
    width = sum(m.shape[1] for m in blocks)
    dt = blocks[0]._data.dtype
    rows, left = [], 0
    for m in blocks:
        r, c = m.shape
        parts = [Tensor(np.zeros((r, left), dtype=dt)), m,
                 Tensor(np.zeros((r, width - left - c), dtype=dt))]
        rows.append(cat(parts, dim=1))
        left += c
    return cat(rows, dim=0)


def cartesian_prod(*tensors):
    """Every combination of the 1-d tensors' elements as the rows of an (n, k) tensor, in
    itertools.product's order (torch.cartesian_prod); one tensor is returned as it is."""
    ts = [as_tensor_input(t, f"tensors[{i}]") for i, t in enumerate(tensors)]
    if not ts:
        raise ValueError("cartesian_prod: expected at least one tensor")
    for i, t in enumerate(ts):
        if t.ndim != 1:
            raise ValueError(f"cartesian_prod: tensors[{i}] must be 1-d, got shape {t.shape}")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*_promoted(*ts), indexing="ij")
    return stack([Reshape.apply(g, (-1,)) for g in grids], dim=1)


# ---- cdist --------------------------------------------------------------------------------------

class Cdist(Function):
    """dist[..., i, j] = ‖x1[..., i, :] − x2[..., j, :]‖_p over batches that broadcast."""

    @staticmethod
    def forward(ctx, p, use_mm, x1, x2):
        ctx.p, ctx.shapes = p, (x1.shape, x2.shape)
        if p == 2 and use_mm:
            dist = _euclidean_mm(x1, x2)
        else:
            dist = np.concatenate([_pnorm(d, p) for d in _row_blocks(x1, x2)], axis=-2)
        ctx.save_for_backward(x1, x2, dist)
        return dist

    @staticmethod
    def backward(ctx, g):  # d dist / d diff, then diff's derivative is +1 for x1 and −1 for x2
        x1, x2, dist = ctx.saved_tensors
        p = ctx.p
        s1, s2 = ctx.shapes
        n1, n2 = ctx.needs_input_grad[2:]
        if p == 0:  # a count of nonzero differences: a step function
            g1, g2 = np.zeros(s1, g.dtype), np.zeros(s2, g.dtype)
        elif p == 2:  # diff / dist (0 where dist is 0, as PyTorch), summed with weights w = g/dist
            with np.errstate(divide="ignore", invalid="ignore"):
                w = np.where(dist == 0, 0, g / dist)
            g1 = x1 * w.sum(axis=-1)[..., None] - w @ x2
            g2 = x2 * w.sum(axis=-2)[..., None] - np.swapaxes(w, -1, -2) @ x1
        else:  # the differences again, block by block, as forward took them
            g1, g2, start = 0, 0, 0
            for diff in _row_blocks(x1, x2):
                rows = slice(start, start + diff.shape[-3])
                gd = _pnorm_derivative(diff, p, dist[..., rows, :, None], g[..., rows, :, None])
                g1_block = gd.sum(axis=-2)
                g1 = g1_block if start == 0 else np.concatenate([g1, g1_block], axis=-2)
                g2 = g2 - gd.sum(axis=-3)
                start += diff.shape[-3]
        return (None, None, unbroadcast(g1, s1) if n1 else None,
                unbroadcast(g2, s2) if n2 else None)


def _pnorm(diff, p):
    ad = np.abs(diff)
    if p == 0:
        return (diff != 0).sum(axis=-1).astype(diff.dtype)
    if p == 1:
        return ad.sum(axis=-1)
    if p == 2:
        return np.sqrt((diff * diff).sum(axis=-1))
    if np.isinf(p):
        return ad.max(axis=-1, initial=0)
    return (ad ** p).sum(axis=-1) ** (1 / p)


def _pnorm_derivative(diff, p, dist, g):
    """g · d‖diff‖_p / d diff, for p in (0, inf]; dist and g carry a trailing axis of 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 1:
            return np.sign(diff) * g
        if np.isinf(p):  # every coordinate that attains the max gets the full gradient
            return np.sign(diff) * (np.abs(diff) == dist) * g
        # sign(d)·|d|^(p−1) / dist^(p−1); 0 at dist 0, and at d = 0 for p < 1 (as PyTorch)
        gd = np.sign(diff) * np.abs(diff) ** (p - 1) / dist ** (p - 1) * g
        return np.where((dist == 0) | ((diff == 0) & (p < 1)), 0, gd)


def _row_blocks(x1, x2):
    """x1's rows minus x2's rows, (..., rows, R, M), in blocks of x1's rows small enough that
    no more than ~4M differences are held at once (all of them would not fit for large sets)."""
    rows = max(1, (1 << 22) // max(1, x2.shape[-2] * x2.shape[-1]))
    for start in range(0, max(x1.shape[-2], 1), rows):
        yield x1[..., start:start + rows, None, :] - x2[..., None, :, :]


def _euclidean_mm(x1, x2):
    """Euclidean distances as ‖a‖² + ‖b‖² − 2 a·b through one matrix product (PyTorch's
    shortcut: fast, but rounding may leave a small distance between equal rows)."""
    sq = ((x1 * x1).sum(-1)[..., :, None] + (x2 * x2).sum(-1)[..., None, :]
          - 2 * (x1 @ np.swapaxes(x2, -1, -2)))
    return np.sqrt(np.maximum(sq, 0))


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between every row of x1 (..., P, M) and of x2 (..., R, M), a
    (..., P, R) tensor (torch.cdist); batch dimensions broadcast, p is in [0, inf].
    compute_mode as PyTorch's for p=2: by default more than 25 rows in x1 or x2 take
    ‖a‖² + ‖b‖² − 2 a·b through a matrix product (fast, but equal rows may get a small distance
    from rounding); 'donot_use_mm_for_euclid_dist' takes exact differences. The gradient of a
    zero distance is 0, as PyTorch's."""
    a, b = as_tensor_input(x1, "x1"), as_tensor_input(x2, "x2")
    for t, name in ((a, "x1"), (b, "x2")):
        if t.ndim < 2:
            raise ValueError(f"cdist: {name} must have at least 2 dimensions, got shape {t.shape}")
        if t.dtype.kind != "f":
            raise TypeError(f"cdist: {name} must be a floating tensor, got {t.dtype}")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"cdist: x1 and x2 must have the same number of columns, got "
                         f"{a.shape[-1]} and {b.shape[-1]}")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"cdist: batch dimensions of x1 {a.shape} and x2 {b.shape} do not "
                         "broadcast") from None
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or np.isnan(p) or p < 0:
        raise ValueError(f"cdist: p must be a number >= 0 (inf allowed), got {p!r}")
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"cdist: compute_mode must be one of {', '.join(_CDIST_MODES)}, got "
                         f"{compute_mode!r}")
    a, b = _promoted(a, b)
    use_mm = compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == _CDIST_MODES[0] and (a.shape[-2] > 25 or b.shape[-2] > 25))
    return Cdist.apply(float(p), use_mm, a, b)
