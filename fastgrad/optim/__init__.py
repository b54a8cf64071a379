"""fastgrad.optim: PyTorch's optimizers and learning-rate schedulers for fastgrad Parameters."""
from . import lr_scheduler
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .nadam import NAdam
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from . import swa_utils

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler",
           "NAdam", "RAdam", "Adamax", "Adadelta", "LBFGS",
           "Rprop", "ASGD", "Adafactor",
           "swa_utils"]
