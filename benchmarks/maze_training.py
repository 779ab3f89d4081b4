#!/usr/bin/env python
"""Figure 10's cost on the real maze (spec section 6): env steps per second and XLA memory of
one outer iteration over persistent agents, for online reverse-mode MG and online ES.

For each (torso widths, agents, window T, estimator) this compiles the estimator's
``estimate`` (``metagrad.estimators.online_mg.make_online_mg`` or
``metagrad.estimators.pes.make_online_es``) on the 5x5 maze with 16-step episodes and 5
trajectories per update, the "context" eta (385 parameters), and records:

- ``env_steps_per_second``: agents x T x 80 env steps / median wall time of one window
  (compile excluded), and ``cpu_seconds_per_window`` / ``cpu_utilization`` (robust to a
  shared CPU);
- XLA's memory plan of the compiled window (temp, argument, output bytes): for MG this is the
  reverse replay's memory (``jax.checkpoint`` per update: about one learner state per step);
- compile time.

    .venv/bin/python benchmarks/maze_training.py [--quick] [--out CSV]

Default rows: the paper's learner (256-256) with 1 and 10 agents at T = 8 and 64, and the
default profile's (64-64, 10 agents) at T = 8 and 64; ``--quick`` runs a tiny problem.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import jax  # noqa: E402

from metagrad.envs.maze import MazeEnv  # noqa: E402
from metagrad.estimators.online_mg import make_online_mg  # noqa: E402
from metagrad.estimators.pes import make_online_es  # noqa: E402
from metagrad.io import write_csv_rows  # noqa: E402
from metagrad.problems.maze import MazeProblem  # noqa: E402
from metagrad.problems.maze_persistent import PersistentMaze  # noqa: E402

FULL = [((256, 256), 1, 64, "mg"), ((256, 256), 10, 8, "mg"), ((256, 256), 10, 64, "mg"),
        ((256, 256), 10, 8, "es"), ((64, 64), 10, 8, "mg"), ((64, 64), 10, 64, "mg"),
        ((64, 64), 10, 8, "es")]
QUICK = [((8,), 2, 4, "mg"), ((8,), 2, 4, "es")]


def measure(hidden, agents, window, family, side=5, episode=16, trajectories=5, repeats=3):
    base = MazeProblem(MazeEnv(side, episode), window, trajectories, hidden=hidden,
                       meta_form="context")
    problem = PersistentMaze(base, window, 10 ** 9)
    eta = problem.eta_template()
    if family == "mg":
        estimator = make_online_mg(problem, window, 1.0, agents)
    else:
        estimator = make_online_es(problem, window, 0.04, agents // 2, persistent=False,
                                   restart_learners=False)
    state = estimator.init(jax.random.PRNGKey(0), eta)
    key = jax.random.PRNGKey(1)
    t0 = time.perf_counter()
    compiled = jax.jit(estimator.estimate).lower(state, key, eta).compile()
    compile_s = time.perf_counter() - t0
    memory = compiled.memory_analysis()
    estimate, state = compiled(state, key, eta)
    jax.block_until_ready(estimate)
    walls, cpus = [], []
    for i in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        estimate, state = compiled(state, jax.random.PRNGKey(2 + i), eta)
        jax.block_until_ready(estimate)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    steps = agents * window * trajectories * episode
    mb = 1 / 2 ** 20
    theta = sum(x.size for x in jax.tree.leaves(
        jax.tree.map(lambda x: x[0], state.learners)))
    return {"estimator": "mg_online_reverse" if family == "mg" else "es_online",
            "hidden": "-".join(map(str, hidden)), "theta_params": int(theta),
            "agents": agents, "window": window, "env_steps_per_window": steps,
            "seconds_per_window": round(wall, 4),
            "env_steps_per_second": round(steps / wall, 1),
            "env_steps_per_cpu_second": round(steps / cpu, 1),
            "cpu_utilization": round(cpu / wall, 2),
            "xla_temp_mb": round(memory.temp_size_in_bytes * mb, 1),
            "xla_argument_mb": round(memory.argument_size_in_bytes * mb, 1),
            "xla_output_mb": round(memory.output_size_in_bytes * mb, 1),
            "compile_seconds": round(compile_s, 1), "device": str(jax.devices()[0])}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny maze (smoke test)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    platform = jax.devices()[0].platform
    out = args.out or ROOT / "benchmarks" / "results" / f"maze_training_{platform}.csv"
    rows = []
    for hidden, agents, window, family in (QUICK if args.quick else FULL):
        kwargs = dict(side=2, episode=3, trajectories=2) if args.quick else {}
        row = measure(hidden, agents, window, family, **kwargs)
        print(row, flush=True)
        rows.append(row)
    write_csv_rows(out, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
