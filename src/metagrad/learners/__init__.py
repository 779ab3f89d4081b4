"""Inner learners: ``init`` parameters, ``sample`` actions, ``log_prob``, and ``update``."""

from metagrad.learners.dice import magic_box
from metagrad.learners.softmax_reinforce import SoftmaxReinforce

__all__ = ["SoftmaxReinforce", "magic_box"]
