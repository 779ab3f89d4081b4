"""Meta-training runs: eta follows one estimator's gradient (figures 2, 3, 6, 7).

A run is (estimator, truncation, coefficient, meta-discount, learning rate, start, seed). Runs
that share an estimator kind (FD, MG, MG with DiCE) are ``vmap``-ed in ONE compiled program
whose inner loop over meta-updates is a ``lax.scan``; the settings are traced arguments, so no
configuration recompiles. Every ``eval_every`` updates, J(eta) of every run is measured on one
fixed set of evaluation bandits (common random numbers across runs and evaluations, so
differences are paired), and
the state is checkpointed so an interrupted run resumes from the last finished chunk.
Runs with the same seed also share the keys of their gradient samples.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd

from metagrad.estimators import MGSetting, make_fd, make_mg_program, sample_grads
from metagrad.estimators.mg import single_values, traced_structure
from metagrad.experiments.common import (Checkpoint, experiment_key, lifetime_mean_program,
                                         make_problem, mean_lifetime_reward, name_salt)
from metagrad.names import mg_code

# named estimators of the learning-curve figures (names.py codes): (kind, hessian, coefficient)
NAMED_ESTIMATORS = {
    "fd": ("fd", "none", 0.0),
    "naive": ("mg", "none", 0.0),
    "correction": ("mg", "none", 1.0),
    "dice": ("mg", "dice", 0.0),
    "dice_correction": ("mg", "dice", 1.0),
}


@dataclass(frozen=True)
class Run:
    estimator: str
    truncation_length: int
    coefficient: float
    meta_discount: float
    learning_rate: float
    eta0_0: float
    eta0_1: float
    start_index: int
    seed: int

    @property
    def kind(self):
        return NAMED_ESTIMATORS.get(self.estimator, ("mg", "none", None))[:2]


def make_optimizer(name: str) -> optax.GradientTransformation:
    """The learning-rate-free direction; each run multiplies it by its own learning rate."""
    if name == "sgd":
        return optax.identity()
    if name == "adam":
        return optax.scale_by_adam()
    raise ValueError(f"optimizer must be one of ('sgd', 'adam'), got {name!r}")


def _gradient_fn(problem, kind, hessian, fd_epsilon):
    """``(key, eta, run_params) -> [D]`` for one run; MG settings are traced (one program)."""
    if kind == "fd":  # Gumbel-max common random numbers: 3-5x less FD variance
        fd = make_fd(problem.with_action_sampler("gumbel"), fd_epsilon)
        return lambda key, eta, run: sample_grads(fd, key, eta)[0]
    program = make_mg_program(problem, traced_structure(hessian, problem.lifetime_length))

    def mg(key, eta, run):
        truncation_length, coefficient, meta_discount = run
        values = single_values(truncation_length + 1, coefficient, meta_discount)
        return program.sample(key, eta, values).grad[0]

    return mg


def _chunk_program(problem, kind, hessian, section, optimizer):
    gradient = _gradient_fn(problem, kind, hessian, section.get("fd_epsilon", 0.1))
    samples, steps = section["bandits_per_update"], section["eval_every"]

    def one_run(eta, opt_state, run_params, learning_rate, key, first_update):
        def update(carry, index):
            eta, opt_state = carry
            keys = jax.random.split(jax.random.fold_in(key, index), samples)
            g = jax.vmap(gradient, in_axes=(0, None, None))(keys, eta, run_params).mean(axis=0)
            direction, opt_state = optimizer.update(g, opt_state, eta)
            return (eta + learning_rate * direction, opt_state), None

        (eta, opt_state), _ = jax.lax.scan(update, (eta, opt_state),
                                           first_update + jnp.arange(steps))
        return eta, opt_state

    return jax.jit(jax.vmap(one_run, in_axes=(0, 0, 0, 0, 0, None)))


def run_meta_training(cfg: dict, section: dict, name: str, runs: list[Run], progress,
                      checkpoint_dir=None, evaluation_layout=None) -> pd.DataFrame:
    """``evaluation_layout=(all_runs, positions)``: ``runs`` are ``all_runs[positions]`` (a
    shard, ``metagrad.experiments.shards``). Updates of a run do not depend on the other runs
    in its program, but the evaluation program's values do depend on its shape in the last
    float bits, so J is then measured at the whole experiment's shape (the other runs' rows
    held at their starts): the shard's numbers equal the unsharded run's bit for bit."""
    problem = make_problem(cfg, section)
    L = problem.lifetime_length
    for run in runs:
        if run.estimator != "fd":
            MGSetting(run.truncation_length, run.coefficient, run.meta_discount).validate(L)
    optimizer = make_optimizer(section["optimizer"])
    root = experiment_key(cfg, name)
    num_chunks = section["num_updates"] // section["eval_every"]
    groups = {}
    for index, run in enumerate(runs):
        groups.setdefault(run.kind, []).append(index)
    progress.set_total(num_chunks * len(groups))
    # J is measured with the conditional expectation of each step's reward (the expected reward
    # of the policy, ours: the same J, less noise), on bandits shared by every meta-training
    # experiment of the profile, so J(2, 2) is one number in figures 3, 6 and 7
    program = lifetime_mean_program(make_problem(cfg, section, outer_terms_form="conditional"))
    layout = None
    if evaluation_layout is not None:
        all_runs, positions = evaluation_layout
        layout = (np.array([[r.eta0_0, r.eta0_1] for r in all_runs], np.float32),
                  np.asarray(positions))
    evaluator = (program, layout)
    checkpoint = Checkpoint(checkpoint_dir, name)
    state = checkpoint.load(None)
    if state is None:
        etas = np.array([[r.eta0_0, r.eta0_1] for r in runs], np.float32)
        opt_states = [optimizer.init(jnp.asarray(e)) for e in etas]
        state = {"chunk": 0, "etas": etas,
                 "opt_states": jax.tree.map(lambda *x: np.stack(x), *opt_states),
                 "evaluations": [_evaluate(evaluator, etas, section, evaluation_key(cfg), 0)]}
    progress.update(state["chunk"] * len(groups))
    programs = {kind: _chunk_program(problem, kind[0], kind[1], section, optimizer)
                for kind in groups}
    params = np.array([[r.truncation_length, r.coefficient, r.meta_discount] for r in runs],
                      np.float32)
    rates = np.array([r.learning_rate for r in runs], np.float32)
    run_keys = jnp.stack([jax.random.fold_in(jax.random.fold_in(root, 1), r.seed) for r in runs])
    while state["chunk"] < num_chunks:
        chunk = state["chunk"]
        etas, opt_states = state["etas"].copy(), state["opt_states"]
        for kind, members in groups.items():
            idx = np.asarray(members)
            new_eta, new_opt = programs[kind](
                jnp.asarray(etas[idx]), jax.tree.map(lambda x: jnp.asarray(x[idx]), opt_states),
                (jnp.asarray(params[idx, 0], jnp.int32), jnp.asarray(params[idx, 1]),
                 jnp.asarray(params[idx, 2])),
                jnp.asarray(rates[idx]), run_keys[idx], chunk * section["eval_every"])
            etas[idx] = np.asarray(new_eta)
            opt_states = jax.tree.map(lambda x, y: _set_rows(x, idx, y), opt_states, new_opt)
            progress.update(1)
        updates = (chunk + 1) * section["eval_every"]
        state = {"chunk": chunk + 1, "etas": etas, "opt_states": opt_states,
                 "evaluations": state["evaluations"]
                 + [_evaluate(evaluator, etas, section, evaluation_key(cfg), updates)]}
        checkpoint.save(state)
    return _table(runs, state["evaluations"], section)


def _set_rows(array, idx, values):
    array = np.array(array, copy=True)
    array[idx] = np.asarray(values)
    return array


def evaluation_key(cfg: dict) -> jax.Array:
    """The evaluation bandits and noise: the same for every run, update and experiment."""
    return jax.random.fold_in(jax.random.PRNGKey(cfg["seed"]), name_salt("evaluation"))


def _evaluate(evaluator, etas, section, key, update):
    """J at every run's eta on the same ``eval_bandits`` bandits and lifetime noise.

    The evaluation key is the same for every run and every evaluation, so differences between
    runs and between updates are paired (no evaluation noise in a comparison, only in levels).
    """
    program, layout = evaluator
    if layout is not None:  # a shard: evaluate at the whole experiment's shape
        full, positions = layout
        padded = full.copy()
        padded[positions] = etas
        _, _, mean, se = _evaluate((program, None), padded, section, key, update)
        return update, etas.copy(), mean[positions], se[positions]
    safe = np.nan_to_num(etas, nan=0.0, posinf=50.0, neginf=-50.0)
    mean, se = mean_lifetime_reward(program, safe, section["eval_bandits"], key)
    bad = ~np.all(np.isfinite(etas), axis=1)
    mean[bad], se[bad] = np.nan, np.nan
    return update, etas.copy(), mean, se


def _table(runs, evaluations, section):
    frames = []
    for update, etas, mean, se in evaluations:
        frame = pd.DataFrame([asdict(r) for r in runs])
        frame["run_id"] = np.arange(len(runs))
        frame["update"] = update
        frame["eta_0"], frame["eta_1"] = etas[:, 0], etas[:, 1]
        frame["mean_reward"], frame["mean_reward_se"] = mean, se
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table["optimizer"] = section["optimizer"]
    table["bandits_per_update"] = section["bandits_per_update"]
    table["eval_bandits"] = section["eval_bandits"]
    return table


def named_runs(section: dict, lifetime_length: int, starts) -> list[Run]:
    """Runs of the named estimators (no truncation) from each start, for each seed."""
    runs = []
    for estimator in section["estimators"]:
        _, _, coefficient = NAMED_ESTIMATORS[estimator]
        for (start_index, start), seed in itertools.product(enumerate(starts),
                                                            range(section["num_seeds"])):
            runs.append(Run(estimator, lifetime_length - 1, coefficient, 1.0,
                            section["learning_rates"][estimator], float(start[0]),
                            float(start[1]), start_index, seed))
    return runs


def truncated_runs(section: dict) -> list[Run]:
    """MG runs over truncation lengths x coefficients from ``eta_start``, for each seed."""
    runs = []
    for t, rate in zip(section["truncation_lengths"], section["learning_rates"]):
        for c, seed in itertools.product(section["coefficients"], range(section["num_seeds"])):
            estimator = mg_code(c, 1.0, t)
            runs.append(Run(estimator, t, c, 1.0, rate, *map(float, section["eta_start"]), 0,
                            seed))
    return runs


def section_runs(section: dict) -> list[Run]:
    """The runs of a meta-training section, by its kind: ``named_training`` (figures 2 and 3:
    the named estimators, untruncated, from each start in ``start_values`` x ``start_values``
    or from ``eta_start``) or ``truncated_training`` (figures 6 and 7)."""
    if section["kind"] == "truncated_training":
        return truncated_runs(section)
    if "start_values" in section:
        starts = [(a, b) for a in section["start_values"] for b in section["start_values"]]
    else:
        starts = [section["eta_start"]]
    return named_runs(section, section["lifetime_length"], starts)


def run(cfg: dict, section: dict, name: str, progress, checkpoint_dir=None):
    """Kinds ``named_training`` and ``truncated_training``."""
    return run_meta_training(cfg, section, name, section_runs(section), progress,
                             checkpoint_dir)
