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
from .activation import (CELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish, PReLU,
                         ReLU6, Softmin, Softsign, Tanhshrink, Threshold)
from .containers import ParameterDict, ParameterList
from .layers import Bilinear, CosineSimilarity, PairwiseDistance, Unflatten
from .normalization import GroupNorm, RMSNorm
from .sparse import Embedding
from .activation import GLU, Hardshrink, Softshrink
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d,
                      ConstantPad2d, ConstantPad3d, ReflectionPad1d, ReflectionPad2d,
                      ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d,
                      ZeroPad1d, ZeroPad2d, ZeroPad3d)

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
__all__ += ["ReLU6", "PReLU", "SELU", "CELU", "Mish", "Softsign", "Tanhshrink", "Hardtanh",
            "Hardsigmoid", "Hardswish", "LogSigmoid", "Softmin", "Threshold"]
__all__ += ["Embedding", "ParameterList", "ParameterDict", "Unflatten", "GroupNorm", "RMSNorm",
            "Bilinear", "CosineSimilarity", "PairwiseDistance"]
__all__ += ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
            "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
            "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d",
            "ZeroPad2d", "ZeroPad3d"]
__all__ += ["Hardshrink", "Softshrink", "GLU"]
