"""One estimator library: every estimator is ``make_*(problem, ...) -> GradientEstimator``."""

from metagrad.estimators.base import GradientEstimator
from metagrad.estimators.es import make_es
from metagrad.estimators.fd import make_fd
from metagrad.estimators.mg import MGSetting, make_mg, make_mg_reverse

__all__ = ["GradientEstimator", "MGSetting", "make_mg", "make_mg_reverse", "make_es", "make_fd"]
