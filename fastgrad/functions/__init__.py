"""The neural-network Functions, each forward beside its local derivative, the arithmetic in C
(through fastgrad._kernels) or NumPy.

A Module (fastgrad.nn) calls its functional (fastgrad.nn.functional), which checks the
arguments and applies one of these Functions. Each class is named after its operation plus
`Function` (`SoftmaxFunction`, `CrossEntropyFunction`), so it is never confused with the Module
of the same operation (`nn.Softmax`, `nn.CrossEntropyLoss`).

    activation.py     ActivationFunction (the kernels' table), SoftplusFunction, SoftmaxFunction
    dense.py          DenseStackFunction: Linear layers and their activations as one node
    loss.py           cross-entropy, NLL, MSE, L1, Huber, BCE
    normalization.py  LayerNormFunction, BatchNormFunction
"""
