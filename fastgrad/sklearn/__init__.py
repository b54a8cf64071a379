"""scikit-learn estimators trained by fastgrad (install the `sklearn` extra).

MLPClassifier, MLPRegressor: scikit-learn's multi-layer perceptrons, same parameters and
fitted attributes, trained by fastgrad's fused dense kernels.
NeuralNetClassifier, NeuralNetRegressor: any fastgrad nn.Module as a scikit-learn estimator,
in the spirit of skorch; MLPModule builds a plain dense module for them.

Fitted estimators pickle (unpickling runs code: load only pickles you trust; fastgrad.save is
the safe format for weights).
"""
from ._mlp import MLPClassifier, MLPRegressor
from ._neuralnet import MLPModule, NeuralNetClassifier, NeuralNetRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "NeuralNetClassifier", "NeuralNetRegressor",
           "MLPModule"]
