"""Figure 9: the maze's meta-gradient of ``w`` (ent_coef = sigmoid(w)) with and without the
advantage in the outer loss, against finite differences (spec section 6; claim C11).

Every agent is a fresh lifetime of ``window_length`` inner updates (the agent is reset at every
reward flip, so a window is a whole lifetime: untruncated, correction coefficient ``c``). Both
MG variants run on the SAME agents (same keys: identical sampled windows, so their difference
is paired); FD uses common random numbers inside each ``+-eps/2`` pair and its own agents.

The paper's single sample is the mean over ``agents_per_sample`` agents (25). Agents are
independent, so the table estimates that sample's std as ``std over agents / sqrt(A)`` from
every agent of a (variant, w, seed) cell, which uses all of them (rather than the few
samples a scaled profile can afford). Rows: one per (variant, w, seed), variants
``no_advantage``, ``with_advantage``, ``fd`` and ``with_minus_no`` (the paired per-agent
difference), columns ``mean`` (mean estimate of dJ/dw), ``std`` (std of one A-agent sample),
``se`` (s.e. of ``mean``), ``num_agents``, ``agents_per_sample``, ``objective`` (mean
per-update first-state return), ``epsilon`` (FD), ``coefficient``. The ``with_minus_no`` rows
also carry ``std_difference`` = std(with) - std(no) of one A-agent sample and its delta-method
s.e. ``std_difference_se`` from the same agents (:func:`std_difference`), so the std comparison
pools every agent of every seed instead of a t over a few seeds.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from metagrad.estimators import MGSetting, make_fd, make_mg
from metagrad.experiments.common import Checkpoint, experiment_key, make_problem

MG_VARIANTS = ("no_advantage", "with_advantage")


def w_grid(section: dict) -> np.ndarray:
    return np.linspace(section["w_low"], section["w_high"], section["w_points"]).astype(np.float32)


def _programs(problem, section):
    """Jitted ``(keys [N], w) -> (grads [N], objectives [N])`` per variant (one agent per key)."""
    L = problem.lifetime_length
    programs = {}
    for variant in MG_VARIANTS:
        mg = make_mg(problem.with_outer_loss(variant),
                     [MGSetting(L - 1, float(section["coefficient"]))], mode="forward")
        programs[variant] = mg
    programs["fd"] = make_fd(problem, float(section["fd_epsilon"]))

    def compiled(estimator):
        def one(key, w):
            estimate, _ = estimator.estimate(estimator.init(key, w), key, w)
            return estimate.grad[0], estimate.objective[0]
        return jax.jit(jax.vmap(one, in_axes=(0, None)))

    return {name: compiled(est) for name, est in programs.items()}


def _row(variant, w, seed, values, objectives, agents_per_sample, section):
    values = np.asarray(values, np.float64)
    n = values.size
    agent_std = values.std(ddof=1) if n > 1 else np.nan
    return {"variant": variant, "w": float(w), "seed": int(seed), "mean": values.mean(),
            "std": agent_std / np.sqrt(agents_per_sample), "se": agent_std / np.sqrt(n),
            "num_agents": n, "agents_per_sample": agents_per_sample,
            "objective": float(np.mean(objectives)),
            "epsilon": float(section["fd_epsilon"]) if variant == "fd" else np.nan,
            "coefficient": np.nan if variant == "fd" else float(section["coefficient"])}


def std_difference(no: np.ndarray, with_: np.ndarray, agents_per_sample: int) -> tuple[float, float]:
    """``(s_with - s_no, s.e.)`` for the std of one ``agents_per_sample``-agent sample, both
    variants on the same agents (paired). Delta method on the sample variances: Var(s^2) ~
    (m4 - s^4) / n, Cov(s_x^2, s_y^2) ~ (E[dx^2 dy^2] - s_x^2 s_y^2) / n, and ds = ds^2 / (2 s)."""
    x, y = np.asarray(no, np.float64), np.asarray(with_, np.float64)
    n = x.size
    dx, dy = x - x.mean(), y - y.mean()
    vx, vy = dx.var(ddof=1), dy.var(ddof=1)
    sx, sy = np.sqrt(vx), np.sqrt(vy)
    var_vx = ((dx ** 4).mean() - vx ** 2) / n
    var_vy = ((dy ** 4).mean() - vy ** 2) / n
    cov = ((dx ** 2 * dy ** 2).mean() - vx * vy) / n
    var = var_vy / (4 * vy) + var_vx / (4 * vx) - 2 * cov / (4 * sx * sy)
    scale = 1.0 / np.sqrt(agents_per_sample)
    return float((sy - sx) * scale), float(np.sqrt(max(var, 0.0)) * scale)


def run(cfg: dict, section: dict, name: str, progress, checkpoint_dir=None,
        seeds=None) -> pd.DataFrame:
    """Rows for every (seed, w) cell; ``seeds`` (default: all ``num_seeds``) computes only those
    seeds' cells, as a shard does (each cell's keys depend on its seed and w only)."""
    problem = make_problem(cfg, section)
    programs = _programs(problem, section)
    ws = w_grid(section)
    root = experiment_key(cfg, name)
    A = int(section["agents_per_sample"])
    chunk = int(section["agents_per_call"])
    n_mg, n_fd = int(section["mg_agents_per_seed"]), int(section["fd_agents_per_seed"])
    seeds = range(section["num_seeds"]) if seeds is None else seeds
    cells = [(seed, i) for seed in seeds for i in range(len(ws))]
    checkpoint = Checkpoint(checkpoint_dir, "maze_gradients")
    rows = checkpoint.load([])
    done = {(r["seed"], r["w"]) for r in rows if (r["seed"], r["w"]) in
            {(s, float(ws[i])) for s, i in cells}}
    rows = [r for r in rows if (r["seed"], r["w"]) in done]
    progress.set_total(len(cells))
    progress.update(len({c for c in done}))

    def evaluate(program, key, count, w):
        grads, objectives = [], []
        for start in range(0, count, chunk):   # fixed call shape (one compile); extra agents dropped
            keys = jax.random.split(jax.random.fold_in(key, start), chunk)
            g, o = program(keys, jnp.asarray(w))
            grads.append(np.asarray(g))
            objectives.append(np.asarray(o))
        return np.concatenate(grads)[:count], np.concatenate(objectives)[:count]

    for seed, i in cells:
        w = ws[i]
        if (seed, float(w)) in done:
            continue
        cell_key = jax.random.fold_in(jax.random.fold_in(root, seed), i)
        mg_key, fd_key = jax.random.split(cell_key)
        results = {}
        for variant in MG_VARIANTS:   # the same agents for both variants: paired
            results[variant] = evaluate(programs[variant], mg_key, n_mg, w)
            rows.append(_row(variant, w, seed, *results[variant], A, section))
        diff = results["with_advantage"][0] - results["no_advantage"][0]
        row = _row("with_minus_no", w, seed, diff, results["no_advantage"][1], A, section)
        row["std_difference"], row["std_difference_se"] = std_difference(
            results["no_advantage"][0], results["with_advantage"][0], A)
        rows.append(row)
        rows.append(_row("fd", w, seed, *evaluate(programs["fd"], fd_key, n_fd, w), A, section))
        checkpoint.save(rows)
        progress.update(1)
    table = pd.DataFrame(rows)
    table["window_length"] = problem.lifetime_length
    return table
