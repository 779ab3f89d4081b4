#!/usr/bin/env python
"""Variance reduction of the Rao-Blackwellized MG forms (ours; spec section 4), measured on the
SAME lifetimes as the raw estimators: per setting and eta, the ratio of the raw single-sample
variance trace to that of each variance-reduced form (conditional outer terms, with the
expected-reward or the lookahead baseline). Same expectations (proven by enumeration), so the
ratio is the saving in samples for resolving a bias.

    .venv/bin/python benchmarks/variance_reduction.py [--samples 4096] [--out CSV]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from metagrad.config import load_config  # noqa: E402
from metagrad.io import write_csv_rows  # noqa: E402
from metagrad.estimators import MGSetting, make_mg, sample_grads  # noqa: E402
from metagrad.problems.bandit import make_bandit_problem  # noqa: E402

FORMS = {"raw": {}, "conditional": dict(outer_terms_form="conditional"),
         "conditional+expected_reward": dict(outer_terms_form="conditional",
                                             correction_baseline="expected_reward"),
         "conditional+lookahead": dict(outer_terms_form="conditional",
                                       correction_baseline="lookahead")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--etas", type=float, nargs="+", default=[0.5, 1.5, 2.5])
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "variance_reduction_cpu.csv")
    args = parser.parse_args(argv)
    cfg = load_config("default", root=ROOT)
    section = cfg["experiments"]["frontier_L80"]
    L = section["lifetime_length"]
    settings = [MGSetting(L - 1, 1.0), MGSetting(L - 1, 0.0), MGSetting(20, 1.0),
                MGSetting(40, 0.6), MGSetting(L - 1, 0.0, hessian="dice")]
    keys = jax.random.split(jax.random.PRNGKey(0), args.samples)
    rows = []
    for value in args.etas:
        eta = jnp.array([value, value])
        variance = {}
        for form, options in FORMS.items():
            problem = make_bandit_problem(cfg["tasks"]["bandit"], L,
                                          section["schedule_split_step"], **options)
            est = make_mg(problem, settings, section["lifetimes_per_sample"])
            grads = np.asarray(jax.jit(jax.vmap(lambda k: sample_grads(est, k, eta)))(keys),
                               np.float64)                                       # [N, S, D]
            variance[form] = grads.var(axis=0, ddof=1).sum(axis=-1)
        for s, setting in enumerate(settings):
            row = {"eta": value, "setting": est.settings[s]["estimator"],
                   "truncation_length": setting.truncation_length,
                   "coefficient": setting.coefficient, "samples": args.samples,
                   "raw_variance": round(float(variance["raw"][s]), 6)}
            for form in list(FORMS)[1:]:
                row[f"reduction_{form}"] = round(float(variance["raw"][s] / variance[form][s]), 2)
            print(row, flush=True)
            rows.append(row)
    write_csv_rows(args.out, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
