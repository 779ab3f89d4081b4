#!/usr/bin/env python
"""Peak memory and time of reverse-mode MG on a maze-sized problem (issue 10's measurement).

A stand-in with the maze's shapes (spec section 6), not its dynamics: the inner learner is the
actor-critic of two separate 256-256 ReLU MLPs over a 26-dim observation (4 logits, 1 value;
146 k parameters), trained by SGD on ``-A log pi + 0.1 * 0.5 (G - V)^2 - ent_coef * entropy``
from batches of 10 trajectories x 8 steps; eta is the "context" meta-network
(Linear(32)-ReLU-Linear(1)-sigmoid over 10 recent mean rewards: 385 parameters) that sets
``ent_coef``. Observations and rewards are random, drawn from the collect key, so the
numbers measure the estimator's cost only.

For each window length T (one MG sample = one window of T updates, untruncated c = 1) this
records XLA's memory plan of the compiled program (temp + argument + output bytes) and the
time per sample, for the reverse replay (``jax.checkpoint`` per update) and, where it fits,
forward mode (385 tangents of the learner per step: its memory is estimated, not run).

    .venv/bin/python benchmarks/reverse_memory.py [--windows 8 16 32 64] [--out CSV]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import flax.linen as nn  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402

from metagrad.estimators import MGSetting, make_mg, sample_grads  # noqa: E402
from metagrad.io import write_csv_rows  # noqa: E402
from metagrad.problems.base import OuterTerms  # noqa: E402

OBS, ACTIONS, TRAJ, STEPS, HISTORY = 26, 4, 10, 8, 10


class Torso(nn.Module):
    out: int

    @nn.compact
    def __call__(self, x):
        for width in (256, 256):
            x = nn.relu(nn.Dense(width)(x))
        return nn.Dense(self.out)(x)


class Context(nn.Module):
    @nn.compact
    def __call__(self, rewards):
        return jax.nn.sigmoid(nn.Dense(1)(nn.relu(nn.Dense(32)(rewards))))[0]


class MazeSizedProblem:
    def __init__(self, lifetime_length: int):
        self.lifetime_length = lifetime_length
        self.policy, self.value, self.context = Torso(ACTIONS), Torso(1), Context()

    def eta_template(self):
        return self.context.init(jax.random.PRNGKey(0), jnp.zeros(HISTORY))

    def sample_task(self, key):
        return key

    def start(self, key, task, eta):
        k1, k2 = jax.random.split(task)
        params = {"policy": self.policy.init(k1, jnp.zeros(OBS)),
                  "value": self.value.init(k2, jnp.zeros(OBS))}
        return {"params": params, "recent": jnp.zeros(HISTORY)}, None

    def collect(self, learner, env_state, key):
        k1, k2, k3 = jax.random.split(key, 3)
        obs = jax.random.normal(k1, (TRAJ, STEPS, OBS))
        actions = jax.random.randint(k2, (TRAJ, STEPS), 0, ACTIONS)
        rewards = jax.random.normal(k3, (TRAJ, STEPS))
        return env_state, (obs, actions, rewards)

    def _terms(self, params, batch):
        obs, actions, rewards = batch
        logits = self.policy.apply(params["policy"], obs)
        logp_all = jax.nn.log_softmax(logits)
        logp = jnp.take_along_axis(logp_all, actions[..., None], -1)[..., 0]
        entropy = -jnp.sum(jnp.exp(logp_all) * logp_all, -1)
        value = self.value.apply(params["value"], obs)[..., 0]
        returns = jnp.cumsum(rewards[:, ::-1], 1)[:, ::-1]
        return logp, entropy, value, returns

    def update(self, learner, batch, eta, step, hessian="none"):
        coef = self.context.apply(eta, learner["recent"])

        def loss(params):
            logp, entropy, value, returns = self._terms(params, batch)
            advantage = returns - jax.lax.stop_gradient(value)
            return jnp.mean(-advantage * logp + 0.05 * (returns - value) ** 2 - coef * entropy)

        grads = jax.grad(loss)(learner["params"])
        params = jax.tree.map(lambda p, g: p - g, learner["params"], grads)
        recent = jnp.concatenate([learner["recent"][1:], jnp.mean(batch[2])[None]])
        return {"params": params, "recent": jax.lax.stop_gradient(recent)}

    def outer_terms(self, learner, batch, eta, step):
        logp, _, _, returns = self._terms(learner["params"], batch)
        objective = jnp.mean(returns[:, 0])
        return OuterTerms(objective, jnp.mean(jnp.sum(logp * returns, 1)), jnp.sum(logp),
                          objective, jnp.zeros(()))


def measure(window: int, samples: int, repeats: int = 3) -> dict:
    problem = MazeSizedProblem(window)
    eta = problem.eta_template()
    theta_size = ravel_pytree(problem.start(None, jax.random.PRNGKey(1), eta)[0])[0].size
    eta_size = ravel_pytree(eta)[0].size
    estimator = make_mg(problem, [MGSetting(window - 1, 1.0)], mode="reverse")
    program = jax.jit(jax.vmap(lambda k: sample_grads(estimator, k, eta)))
    keys = jax.random.split(jax.random.PRNGKey(0), samples)
    t0 = time.perf_counter()
    compiled = program.lower(keys).compile()
    compile_s = time.perf_counter() - t0
    memory = compiled.memory_analysis()
    jax.block_until_ready(compiled(keys))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(keys))
        times.append(time.perf_counter() - t0)
    mb = 1 / 2 ** 20
    return {
        "window": window, "samples_per_call": samples, "theta_params": theta_size,
        "eta_params": eta_size, "mode": "reverse (checkpointed replay)",
        "xla_temp_mb": round(memory.temp_size_in_bytes * mb, 1),
        "xla_argument_mb": round(memory.argument_size_in_bytes * mb, 1),
        "xla_output_mb": round(memory.output_size_in_bytes * mb, 1),
        "seconds_per_sample": round(min(times) / samples, 4),
        "compile_seconds": round(compile_s, 1),
        # forward mode would carry eta_params tangents of the learner (4-byte floats)
        "forward_tangents_mb_estimate": round(eta_size * theta_size * 4 * mb, 1),
        "device": str(jax.devices()[0]),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--samples", type=int, default=2, help="samples vmapped per call")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "reverse_memory_cpu.csv")
    args = parser.parse_args(argv)
    rows = []
    for window in args.windows:
        row = measure(window, args.samples)
        print(row, flush=True)
        rows.append(row)
    write_csv_rows(args.out, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
