"""fastgrad.nn: modules, layers, activations, losses (PyTorch's names and behaviour)."""
from . import functional, init
from .activation import (ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax,
                         Softplus, Tanh)
from .dropout import Dropout
from .layers import Flatten, Identity, Linear, Sequential
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,
                   NLLLoss)
from .module import Module
from .normalization import BatchNorm1d, LayerNorm
from .parameter import Parameter
from . import utils
from .containers import ModuleDict, ModuleList
from .loss import SmoothL1Loss
from .loss import (CosineEmbeddingLoss, GaussianNLLLoss, HingeEmbeddingLoss, KLDivLoss,
                   MarginRankingLoss, MultiLabelSoftMarginLoss, PoissonNLLLoss, SoftMarginLoss,
                   TripletMarginLoss)
from .loss import MultiLabelMarginLoss, MultiMarginLoss, TripletMarginWithDistanceLoss
from .loss import CTCLoss, LinearCrossEntropyLoss, NLLLoss2d
from .adaptive import AdaptiveLogSoftmaxWithLoss
from . import parallel

__all__ = ["Module", "Parameter", "Linear", "Sequential", "Identity", "Flatten", "Dropout",
           "LayerNorm", "BatchNorm1d", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "GELU", "ELU",
           "SiLU", "Softplus", "Softmax", "LogSoftmax", "MSELoss", "L1Loss", "HuberLoss",
           "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss", "functional", "init",
           "utils", "ModuleList", "ModuleDict", "SmoothL1Loss"]
__all__ += ["KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss", "MarginRankingLoss",
            "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
            "CosineEmbeddingLoss", "TripletMarginLoss", "MultiMarginLoss",
            "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss",
            "LinearCrossEntropyLoss", "AdaptiveLogSoftmaxWithLoss",
            "NLLLoss2d"]
