"""Names for the nodes of a graph: the caller's where given, made up from the op otherwise."""
from ..tensor import Tensor
from .optable import title


def check_params(params, argument="params"):
    """params as {id(tensor): name}; params is None or a mapping of names to tensors, such as
    dict(model.named_parameters())."""
    if params is None:
        return {}
    if not hasattr(params, "items"):
        raise TypeError(f"{argument} must be a dict of names to tensors, such as "
                        f"dict(model.named_parameters()), got {type(params).__name__}")
    names = {}
    for name, t in params.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{argument}[{name!r}] must be a fastgrad Tensor, got "
                            f"{type(t).__name__}")
        names[id(t)] = str(name)
    return names


def name_nodes(graph, names):
    """A name per node index: the tensor's name in `names` ({id(tensor): name}), else `out`
    for the root, x (x1, x2, ... when several) for a leaf, the op's name (numbered in forward
    order when it repeats) for an op."""
    forward = list(reversed(graph.topological()))
    chosen = {}
    for node in forward:
        if node.tensor is not None and id(node.tensor) in names:
            chosen[node.index] = names[id(node.tensor)]
    taken = set(chosen.values())

    def base(node):
        if node is graph.root:
            return "loss" if title(node.op or "").endswith(("Loss", "CrossEntropy")) else "out"
        if node.is_leaf:
            return "x"
        return title(node.op).lower().replace(" ", "_")

    unnamed = [n for n in forward if n.index not in chosen]
    counts = {}
    for node in unnamed:
        counts[base(node)] = counts.get(base(node), 0) + 1
    seen = {}
    for node in unnamed:
        b = base(node)
        if counts[b] == 1 and b not in taken:
            chosen[node.index] = b
            continue
        k = seen.get(b, 0)
        while True:
            k += 1
            if f"{b}{k}" not in taken:
                break
        seen[b] = k
        chosen[node.index] = f"{b}{k}"
        taken.add(chosen[node.index])
    return chosen
