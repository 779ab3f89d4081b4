#!/usr/bin/env python
"""Costs of the Brax estimators (ours; issue 12's cost table): env steps per second, compile
seconds and milliseconds per gradient sample, for the default profile's Brax task, with the
episodes of an inner step mapped (``env_batching: map``, the default: the spring backend
segfaults under the FD reference's nested vmaps on jax 0.10.2 CPU) and vmapped, side by side in
one run. FD is measured with ``map`` only (``vmap`` crashes there).

    .venv/bin/python benchmarks/brax_costs.py [--samples 32] [--out CSV]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from metagrad.config import load_config  # noqa: E402
from metagrad.estimators import MGSetting, make_es, make_fd, make_mg, sample_grads  # noqa: E402
from metagrad.experiments.common import make_problem  # noqa: E402
from metagrad.io import write_csv_rows  # noqa: E402
from metagrad.lifetime import lifetime_objectives  # noqa: E402
from metagrad.provenance import jax_info  # noqa: E402


def _time(fn, *args, repeats=2):
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(repeats):
        jax.block_until_ready(fn(*args))
    run = (time.perf_counter() - t0) / repeats
    return first - run, run          # compile (+ first-call overhead), one call


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=32)
    p.add_argument("--out", default=str(ROOT / "benchmarks/results/brax_costs_cpu.csv"))
    args = p.parse_args(argv)
    cfg = load_config("default", root=ROOT)
    section = cfg["experiments"]["brax_frontier"]
    task = cfg["tasks"]["brax_schedule"]
    N, L = args.samples, section["lifetime_length"]
    keys = jax.random.split(jax.random.PRNGKey(0), N)
    eta = jnp.full((2,), -3.5)
    steps_per_lifetime = L * task["num_envs"] * task["episode_length"]
    rows, device = [], ";".join(jax_info()["jax_devices"]) or "?"
    for batching in ("map", "vmap"):
        problem = make_problem({**cfg, "tasks": {"brax_schedule": {**task, "env_batching": batching}}},
                               section)
        rollout = jax.jit(jax.vmap(lambda k, e: lifetime_objectives(
            problem, e, problem.sample_task(k), k).mean(), in_axes=(0, None)))
        estimators = {
            "rollout": (rollout, 1),
            "mg (4 settings)": (jax.jit(jax.vmap(lambda k, e, est=make_mg(problem, [
                MGSetting(1, 0.0), MGSetting(4, 1.0), MGSetting(L - 1, 1.0),
                MGSetting(L - 1, 0.0, hessian="dice")]): sample_grads(est, k, e), in_axes=(0, None))), 1),
            "es (2 windows)": (jax.jit(jax.vmap(lambda k, e, est=make_es(problem, [1, L - 1], 0.1):
                                                sample_grads(est, k, e), in_axes=(0, None))), 2),
        }
        if batching == "map":
            estimators["fd (2 coordinates)"] = (jax.jit(jax.vmap(
                lambda k, e, est=make_fd(problem, 0.1): sample_grads(est, k, e), in_axes=(0, None))), 4)
        for name, (fn, lifetimes) in estimators.items():
            compile_s, run_s = _time(fn, keys, eta)
            rows.append({"what": name, "env_batching": batching, "compile_s": round(compile_s, 1),
                         "ms_per_sample": round(1e3 * run_s / N, 1),
                         "env_steps_per_s": round(N * lifetimes * steps_per_lifetime / run_s),
                         "samples": N, "lifetime_length": L, "num_envs": task["num_envs"],
                         "episode_length": task["episode_length"], "env": task["env"],
                         "backend": task["backend"], "device": device, "cpus": os.cpu_count()})
            print(rows[-1], flush=True)
    write_csv_rows(args.out, rows)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
