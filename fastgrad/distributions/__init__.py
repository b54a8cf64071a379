"""fastgrad.distributions: probability distributions with differentiable log_prob and entropy
(torch.distributions' names), for policy-gradient and variational scripts."""
from .categorical import Categorical
from .distribution import Distribution
from .normal import Normal

__all__ = ["Distribution", "Categorical", "Normal"]
