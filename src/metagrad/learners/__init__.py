"""Inner learners: ``init`` parameters, ``sample`` actions, ``log_prob``, and ``update``."""

from metagrad.learners.softmax_reinforce import SoftmaxReinforce, magic_box

__all__ = ["SoftmaxReinforce", "magic_box"]
