"""One estimator library: every estimator is ``make_*(problem, ...) -> Estimator`` with
explicit state (``init``, ``estimate``; see ``metagrad.estimators.base``)."""

from metagrad.estimators.base import Estimate, Estimator, sample_grads, stateless
from metagrad.estimators.es import make_es
from metagrad.estimators.fd import make_fd
from metagrad.estimators.mg import MGSetting, make_mg, make_mg_program

__all__ = ["Estimate", "Estimator", "MGSetting", "make_mg", "make_mg_program", "make_es",
           "make_fd", "sample_grads", "stateless"]
