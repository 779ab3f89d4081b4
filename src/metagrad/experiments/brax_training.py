"""Brax meta-learning curves (ours, beyond the paper; spec section 7): the learning-rate
schedule eta meta-trained by naive, truncated and untruncated corrected MG, and ES.

A run is (estimator row of ``section["estimators"]``, seed). Runs of one estimator are
``vmap``-ed over seeds in ONE compiled program whose loop over the ``eval_every`` meta-updates
of a chunk is a ``lax.scan``. A meta-update averages ``samples_per_update`` gradient samples
(one task each) and takes an Adam step (Kingma & Ba, 2015; optax) of ``learning_rate``; Adam
keeps the step size comparable across estimators whose gradient scales differ by orders of
magnitude. Every ``eval_every`` updates, J(eta) of every run is measured on the same
``eval_lifetimes`` tasks and noise (common random numbers: differences between runs and
updates are paired). MG rows may use the history baseline of the sampling correction (ours,
``problems.history_baseline``; the same mean). Finished chunks are checkpointed.

Rows: one per (run, evaluation): estimator, truncation_length, coefficient, seed, update,
eta_0, eta_1, mean_reward (reward per env step) and its s.e. over the evaluation tasks.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd

from metagrad.estimators import make_es, make_mg_program
from metagrad.estimators.base import sample_grads
from metagrad.estimators.mg import single_values, traced_structure
from metagrad.experiments.common import (Checkpoint, experiment_key, lifetime_mean_program,
                                         make_problem, mean_lifetime_reward)

ESTIMATOR_KINDS = ("mg", "es")


def check_estimators(section: dict, lifetime_length: int) -> None:
    for i, row in enumerate(section["estimators"]):
        where = f"experiments.brax_training.estimators[{i}]"
        if row["kind"] not in ESTIMATOR_KINDS:
            raise ValueError(f"{where}.kind must be one of {ESTIMATOR_KINDS}, got {row['kind']!r}")
        if not 0 <= int(row["truncation_length"]) <= lifetime_length - 1:
            raise ValueError(f"{where}.truncation_length must be in [0, {lifetime_length - 1}], "
                             f"got {row['truncation_length']!r}")


def _gradient_fn(cfg, section, kind, problem):
    """``(key, eta, (window_length, coefficient)) -> [D]``: one gradient sample of an estimator
    kind; the MG rows' settings are traced, so every MG row runs in one compiled program."""
    if kind == "es":
        es = make_es(problem, [problem.lifetime_length - 1], section["es_sigma"])
        return lambda key, eta, setting: sample_grads(es, key, eta)[0]
    mg_problem = make_problem(cfg, section, correction_baseline=section["mg_baseline"])
    program = make_mg_program(mg_problem, traced_structure("none", problem.lifetime_length))

    def mg(key, eta, setting):
        window_length, coefficient = setting
        return program.sample(key, eta, single_values(window_length, coefficient, 1.0)).grad[0]

    return mg


def _chunk_program(gradient, section, optimizer):
    samples, steps, rate = (section["samples_per_update"], section["eval_every"],
                            section["learning_rate"])

    def one_run(eta, opt_state, key, setting, first_update):
        def update(carry, index):
            eta, opt_state = carry
            keys = jax.random.split(jax.random.fold_in(key, index), samples)
            g = jax.vmap(gradient, in_axes=(0, None, None))(keys, eta, setting).mean(axis=0)
            direction, opt_state = optimizer.update(g, opt_state, eta)
            return (eta + rate * direction, opt_state), None

        (eta, opt_state), _ = jax.lax.scan(update, (eta, opt_state),
                                           first_update + jnp.arange(steps))
        return eta, opt_state

    return jax.jit(jax.vmap(one_run, in_axes=(0, 0, 0, 0, None)))


def run(cfg: dict, section: dict, name: str, progress, checkpoint_dir=None) -> pd.DataFrame:
    problem = make_problem(cfg, section)
    L = problem.lifetime_length
    check_estimators(section, L)
    if section["num_updates"] % section["eval_every"]:
        raise ValueError("experiments.brax_training.num_updates must be a multiple of eval_every")
    rows, seeds = section["estimators"], int(section["num_seeds"])
    optimizer = optax.scale_by_adam()
    root = experiment_key(cfg, name)
    eval_key = jax.random.fold_in(root, 0)
    evaluate = lifetime_mean_program(problem)
    start = jnp.asarray(section["eta_start"], jnp.float32)
    num_chunks = section["num_updates"] // section["eval_every"]
    # runs: (row, seed), row-major; one program per estimator kind over all its runs
    runs = [(i, s) for i in range(len(rows)) for s in range(seeds)]
    groups = {}
    for index, (i, _) in enumerate(runs):
        groups.setdefault(rows[i]["kind"], []).append(index)
    progress.set_total(num_chunks * len(groups))
    checkpoint = Checkpoint(checkpoint_dir, name)
    state = checkpoint.load(None)

    def measure(etas, update):
        mean, se = mean_lifetime_reward(evaluate, etas, section["eval_lifetimes"], eval_key)
        return update, etas.copy(), mean, se

    if state is None:
        etas = np.tile(np.asarray(start), (len(runs), 1))
        opt = optimizer.init(start)
        state = {"chunk": 0, "etas": etas,
                 "opt_states": jax.tree.map(lambda x: np.stack([np.asarray(x)] * len(runs)), opt),
                 "evaluations": [measure(etas, 0)]}
    progress.update(state["chunk"] * len(groups))
    programs = {kind: _chunk_program(_gradient_fn(cfg, section, kind, problem), section, optimizer)
                for kind in groups}
    settings = (np.array([int(rows[i]["truncation_length"]) + 1 for i, _ in runs], np.int32),
                np.array([float(rows[i].get("coefficient", 0.0)) for i, _ in runs], np.float32))
    # runs with the same seed share their gradient keys, whatever their estimator
    keys = jnp.stack([jax.random.fold_in(jax.random.fold_in(root, 1), s) for _, s in runs])
    while state["chunk"] < num_chunks:
        chunk = state["chunk"]
        etas, opt_states = state["etas"].copy(), state["opt_states"]
        for kind, members in groups.items():
            idx = np.asarray(members)
            new_eta, new_opt = programs[kind](
                jnp.asarray(etas[idx]), jax.tree.map(lambda x: jnp.asarray(x[idx]), opt_states),
                keys[idx], (jnp.asarray(settings[0][idx]), jnp.asarray(settings[1][idx])),
                chunk * section["eval_every"])
            etas[idx] = np.asarray(new_eta)
            opt_states = jax.tree.map(lambda x, y: _set_rows(x, idx, y), opt_states, new_opt)
            progress.update(1)
        state = {"chunk": chunk + 1, "etas": etas, "opt_states": opt_states,
                 "evaluations": state["evaluations"]
                 + [measure(etas, (chunk + 1) * section["eval_every"])]}
        checkpoint.save(state)
    return _table(rows, runs, state["evaluations"], section, L)


def _set_rows(array, idx, values):
    array = np.array(array, copy=True)
    array[idx] = np.asarray(values)
    return array


def _table(rows, runs, evaluations, section, L):
    from metagrad.names import mg_code

    codes = ["es" if r["kind"] == "es" else mg_code(float(r["coefficient"]), 1.0,
                                                    int(r["truncation_length"])) for r in rows]
    row_of = np.array([i for i, _ in runs])
    frames = []
    for update, etas, mean, se in evaluations:
        frames.append(pd.DataFrame({
            "estimator": [codes[i] for i in row_of],
            "label": [rows[i]["label"] for i in row_of], "estimator_row": row_of,
            "truncation_length": [int(rows[i]["truncation_length"]) for i in row_of],
            "coefficient": [float(rows[i]["coefficient"]) if rows[i]["kind"] == "mg" else np.nan
                            for i in row_of],
            "seed": [s for _, s in runs], "update": update,
            "eta_0": etas[:, 0], "eta_1": etas[:, 1],
            "mean_reward": mean, "mean_reward_se": se}))
    table = pd.concat(frames, ignore_index=True)
    table["lifetime_length"] = L
    table["samples_per_update"] = section["samples_per_update"]
    table["mg_baseline"] = section["mg_baseline"]
    return table
