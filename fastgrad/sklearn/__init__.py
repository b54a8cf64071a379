"""scikit-learn estimators trained by fastgrad (install the `sklearn` extra).

MLPClassifier, MLPRegressor: scikit-learn's multi-layer perceptrons, same parameters and
fitted attributes, trained by fastgrad's fused dense kernels.
NeuralNetClassifier, NeuralNetRegressor: any fastgrad nn.Module as a scikit-learn estimator,
in the spirit of skorch; MLPModule builds a plain dense module for them.

Fitted estimators pickle (unpickling runs code: load only pickles you trust; fastgrad.save is
the safe format for weights).
"""
import sklearn as _sklearn

# The estimators follow scikit-learn 1.7's (its parameters, validation and numbers); 1.7 needs
# Python 3.10, so on 3.9 this package is unavailable rather than subtly different.
if tuple(int(part) for part in _sklearn.__version__.split(".")[:2]) < (1, 7):
    raise ImportError(f"fastgrad.sklearn needs scikit-learn 1.7 or newer (Python 3.10 or newer), "
                      f"found scikit-learn {_sklearn.__version__}")

from ._mlp import MLPClassifier, MLPRegressor  # noqa: E402
from ._neuralnet import MLPModule, NeuralNetClassifier, NeuralNetRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "NeuralNetClassifier", "NeuralNetRegressor",
           "MLPModule"]
