"""Meta-learning problems: a task distribution, an inner learner and meta-parameters eta."""

from metagrad.problems.base import MetaProblem
from metagrad.problems.bandit import BanditLearningRateProblem, make_bandit_problem

__all__ = ["MetaProblem", "BanditLearningRateProblem", "make_bandit_problem"]
