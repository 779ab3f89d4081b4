"""Figure 10: meta-training the maze's "context" entropy coefficient over persistent agents
(Vuorio et al., 2022, spec section 6), MG against online ES and PES.

``num_agents`` agents per run are never reset (``metagrad.problems.maze_persistent``): their
object rewards flip every ``flip_interval`` env steps, checked at window starts. eta is the
"context" meta-network (385 parameters) that maps an agent's last 10 per-update mean rewards
to its entropy coefficient. One outer iteration is one window of T inner updates of every
agent, then one outer Adam step (eps ``adam_eps``) on eta with the estimate averaged over the
agents:

- ``mg``: online reverse-mode MG (``metagrad.estimators.online_mg``) at truncation
  ``T in mg_truncations`` x correction ``c in mg_coefficients`` x ``mg_learning_rates``;
- ``es``: online truncated OpenES (Salimans et al., 2017) over the agents as
  ``num_agents / 2`` antithetic pairs (``metagrad.estimators.pes``, ``persistent=False``):
  sigma from ``es_sigma`` decaying x ``es_sigma_decay`` per generation to ``es_sigma_min``,
  learning rate ``es_learning_rate`` (the paper's ES effectively ran at 1e-3: a library
  default overrode the configured 1e-6 / 5e-6);
- ``pes``: Persistent ES (Vicol, Metz and Sohl-Dickstein, 2021; ours, beyond the paper): the
  same particles and schedule, with each pair's perturbations summed over ``pes_horizon``
  updates (then the sum restarts; the agents persist).

Every estimator configuration (family, T) is ONE compiled program ``vmap``-ed over its runs
(learning rate x c x seed) and ``lax.scan``-ned over the windows of a log interval; the
Python loop over log intervals checkpoints, so an interrupted run resumes and gives the same
numbers. Runs with the same seed start from the same agents (initialisation, object rewards,
env noise) and use the same key stream, so comparisons across estimators are paired over
seeds. The reward per step of a run's agents (for ES and PES the perturbed particles, the
population the estimator trains on) is read from their environment states.

Rows: one per (configuration, learning rate, c, seed, log interval): ``estimator`` (names.py
code: naive / correction / es / pes), ``family``, ``truncation_length`` (= window length T, in
inner updates), ``coefficient`` (NaN for ES/PES), ``learning_rate``, ``seed``, ``env_steps``
(per agent, at the interval's end), ``update``, ``reward_per_step`` (mean over agents) and
``reward_per_step_se`` (s.e. over agents), ``ent_coef`` (mean over agents at the interval's
end), ``flips`` (mean flips per agent so far), ``num_agents``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd

from metagrad.config import canonical_json, task_config
from metagrad.estimators.online_mg import make_online_mg
from metagrad.estimators.pes import make_online_es
from metagrad.experiments.common import Checkpoint, experiment_key, make_problem
from metagrad.experiments.maze_training_checks import (check_section, log_interval_updates,
                                                       steps_per_update)
from metagrad.names import mg_code
from metagrad.problems.maze_persistent import PersistentMaze

FAMILIES = ("mg", "es", "pes")
TASK_OVERRIDES = ("side", "episode_length", "trajectories_per_update", "hidden")
CHECKPOINT_SECONDS = 60.0
# compiled chunk programs by (task + section JSON, family, window): a rerun in the same process
# (a resumed run, the tests) reuses them instead of compiling again (XLA: ~10-40 s each on a CPU)
_PROGRAMS: dict = {}


@dataclass(frozen=True)
class Configuration:
    """One compiled program: an estimator family at one window length, with its runs."""

    family: str
    truncation_length: int
    runs: tuple   # ((learning_rate, coefficient, seed), ...)

    @property
    def id(self) -> str:
        return f"{self.family}_T{self.truncation_length}"


def configurations(section: dict) -> list[Configuration]:
    seeds = range(int(section["num_seeds"]))
    out = []
    for t in section["mg_truncations"]:
        runs = tuple((float(lr), float(c), s) for lr in section["mg_learning_rates"]
                     for c in section["mg_coefficients"] for s in seeds)
        out.append(Configuration("mg", int(t), runs))
    for family in ("es", "pes"):
        for t in section[f"{family}_truncations"]:
            runs = tuple((float(section["es_learning_rate"]), float("nan"), s) for s in seeds)
            out.append(Configuration(family, int(t), runs))
    return out


def make_estimator(base_problem, section: dict, family: str, truncation: int):
    A = int(section["num_agents"])
    flip = int(section["flip_interval"])
    if family == "mg":
        problem = PersistentMaze(base_problem, truncation, flip)
        return problem, make_online_mg(problem, truncation, 0.0, A)
    horizon = int(section["pes_horizon"]) if family == "pes" else truncation
    problem = PersistentMaze(base_problem, truncation, flip, lifetime_length=horizon)
    return problem, make_online_es(
        problem, truncation, float(section["es_sigma"]), A // 2, persistent=family == "pes",
        restart_learners=False, sigma_decay=float(section["es_sigma_decay"]),
        sigma_min=float(section["es_sigma_min"]))


def _chunk_program(problem, estimator, family, windows: int, optimizer):
    """Jitted ``(etas, opt_states, est_states, rates, coefficients, run_keys, first_window)``
    over runs (vmap): ``windows`` outer iterations (scan), then the agents' reward totals,
    env steps, flips and mean ent_coef."""

    def one_run(eta, opt_state, est_state, rate, coefficient, run_key, first_window):
        def iteration(carry, window):
            eta, opt_state, est_state = carry
            key = jax.random.fold_in(run_key, window)
            if family == "mg":
                estimate, est_state = estimator.estimate(est_state, key, eta, coefficient)
            else:
                estimate, est_state = estimator.estimate(est_state, key, eta)
            grad = jax.tree.map(lambda g: g[0], estimate.grad)
            direction, opt_state = optimizer.update(grad, opt_state, eta)
            eta = jax.tree.map(lambda p, d: p + rate * d, eta, direction)   # ascent
            return (eta, opt_state, est_state), None

        (eta, opt_state, est_state), _ = jax.lax.scan(
            iteration, (eta, opt_state, est_state), first_window + jnp.arange(windows))
        agents = est_state.env_states
        ent = jax.vmap(lambda learner: problem.problem.ent_coef(eta, learner))(est_state.learners)
        return (eta, opt_state, est_state,
                (agents.reward_total, agents.env_steps, agents.flips, jnp.mean(ent)))

    return jax.jit(jax.vmap(one_run, in_axes=(0, 0, 0, 0, 0, 0, None)))


def _initial_agents(problem, estimator, family, section, eta, seed_key):
    """Every estimator of one seed starts from the same agents (paired over seeds)."""
    A = int(section["num_agents"])
    learners, env_states = jax.vmap(problem.start, in_axes=(0, None, None))(
        jax.random.split(seed_key, A), problem.sample_task(seed_key), eta)
    state = estimator.init(jax.random.fold_in(seed_key, 1), eta)
    return state._replace(learners=learners, env_states=env_states)


def run(cfg: dict, section: dict, name: str, progress, checkpoint_dir=None,
        configuration_ids=None) -> pd.DataFrame:
    """Rows of every configuration (or of ``configuration_ids`` only, as a shard would)."""
    check_section(section, name)
    base = make_problem(cfg, {**section, "window_length": 1, "meta_form": "context"},
                        **{k: section[k] for k in TASK_OVERRIDES})
    optimizer = optax.scale_by_adam(b1=0.9, b2=0.999, eps=float(section["adam_eps"]))
    per_update = steps_per_update(section)
    total_updates = int(section["env_steps"]) // per_update
    configs = [c for c in configurations(section)
               if configuration_ids is None or c.id in configuration_ids]
    root = experiment_key(cfg, name)
    eta0 = base.eta_template()
    checkpoint = Checkpoint(checkpoint_dir, name)
    saved = checkpoint.load({"rows": {}, "current": None})
    chunks = {c.id: total_updates // log_interval_updates(section, c.truncation_length)
              for c in configs}
    progress.set_total(sum(chunks.values()))
    progress.update(sum(chunks[c] for c in saved["rows"] if c in chunks))
    for config in configs:
        if config.id in saved["rows"]:
            continue
        problem, estimator = make_estimator(base, section, config.family,
                                            config.truncation_length)
        interval = log_interval_updates(section, config.truncation_length)
        windows = interval // config.truncation_length
        program_key = (canonical_json({"task": task_config(cfg, section), "section": section}),
                       config.family, config.truncation_length)
        if program_key not in _PROGRAMS:
            _PROGRAMS[program_key] = _chunk_program(problem, estimator, config.family, windows,
                                                    optimizer)
        program = _PROGRAMS[program_key]
        rates = jnp.asarray([r[0] for r in config.runs], jnp.float32)
        coefficients = jnp.asarray([0.0 if math.isnan(r[1]) else r[1] for r in config.runs],
                                   jnp.float32)
        seed_keys = [jax.random.fold_in(root, seed) for _, _, seed in config.runs]
        run_keys = jnp.stack([jax.random.fold_in(k, 7) for k in seed_keys])
        current = saved["current"]
        if current is not None and current["id"] == config.id:
            chunk, rows = current["chunk"], current["rows"]
            state = jax.tree.map(jnp.asarray, current["state"])
            totals = current["totals"]
            progress.update(chunk)
        else:
            states = [_initial_agents(problem, estimator, config.family, section, eta0, k)
                      for k in seed_keys]
            est_states = jax.tree.map(lambda *x: jnp.stack(x), *states)
            etas = jax.tree.map(lambda x: jnp.broadcast_to(x, (len(config.runs),) + x.shape),
                                eta0)
            opt_states = jax.vmap(optimizer.init)(etas)
            state = (etas, opt_states, est_states)
            shape = (len(config.runs), int(section["num_agents"]))
            chunk, rows, totals = 0, [], (np.zeros(shape), np.zeros(shape, np.int64))
        last_save = time.monotonic()
        while chunk < chunks[config.id]:
            etas, opt_states, est_states, (reward_total, env_steps, flips, ent) = program(
                *state, rates, coefficients, run_keys,
                jnp.asarray(chunk * windows, jnp.int32))
            state = (etas, opt_states, est_states)
            reward_total, env_steps = np.asarray(reward_total, np.float64), np.asarray(env_steps)
            rows += _rows(config, section, chunk, interval, totals, reward_total, env_steps,
                          np.asarray(flips), np.asarray(ent))
            totals = (reward_total, env_steps)
            chunk += 1
            progress.update(1)
            if time.monotonic() - last_save > CHECKPOINT_SECONDS and chunk < chunks[config.id]:
                saved["current"] = {"id": config.id, "chunk": chunk, "rows": rows,
                                    "state": jax.tree.map(np.asarray, state), "totals": totals}
                checkpoint.save(saved)
                last_save = time.monotonic()
        saved["rows"][config.id] = rows
        saved["current"] = None
        checkpoint.save(saved)
    table = pd.DataFrame([r for c in configs for r in saved["rows"][c.id]])
    table["num_agents"] = int(section["num_agents"])
    table["flip_interval"] = int(section["flip_interval"])
    table["env_steps_total"] = int(section["env_steps"])
    table["final_env_steps"] = int(section["final_env_steps"])
    return table


def _rows(config, section, chunk, interval, previous, reward_total, env_steps, flips, ent):
    """One row per run for one log interval: reward per step of each agent over the interval,
    mean and s.e. over the agents."""
    prev_reward, prev_steps = previous
    per_agent = (reward_total - prev_reward) / np.maximum(env_steps - prev_steps, 1)   # [R, A]
    out = []
    for r, (rate, coefficient, seed) in enumerate(config.runs):
        values = per_agent[r]
        estimator = (mg_code(coefficient, 1.0, config.truncation_length)
                     if config.family == "mg" else config.family)
        out.append({
            "configuration": config.id, "estimator": estimator, "family": config.family,
            "truncation_length": config.truncation_length,
            "coefficient": coefficient if config.family == "mg" else float("nan"),
            "learning_rate": rate, "seed": int(seed),
            "update": (chunk + 1) * interval, "env_steps": int(env_steps[r].mean()),
            "reward_per_step": float(values.mean()),
            "reward_per_step_se": float(values.std(ddof=1) / np.sqrt(values.size)),
            "ent_coef": float(ent[r]), "flips": float(flips[r].mean())})
    return out
