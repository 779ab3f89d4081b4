"""Task distributions over Brax physics environments, as Brax wrappers (ours, beyond the paper;
spec section 7).

A task is what one lifetime is about, like one bandit per lifetime: the wrapper's ``reset``
draws it (a reacher goal, a half-cheetah target velocity or direction) and keeps it in
``state.info["task"]``; ``step`` rewards it. Tasks:

- ``reacher_goal``: Brax's reacher with the goal drawn uniformly (by area) in the annulus
  ``0.1 <= |goal| <= 0.2`` around the base; reward = Brax's (-distance - control cost).
- ``cheetah_velocity``: half-cheetah, target x-velocity ``v* ~ U(0, 2)``; reward
  ``-|v_x - v*|`` minus Brax's control cost.
- ``cheetah_direction``: half-cheetah, direction ``d = +-1``; reward ``d v_x`` minus control cost.

Backends: ``spring`` and ``positional`` change the reacher's timestep (0.005 s, 4 frames) and
gearing against ``generalized``; every caption and provenance names the backend. Actions are
clipped to the actuators' range inside the simulator: clipping is part of the environment.
Observations are not normalised (running statistics would make J depend on eta through them).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

TASKS = ("reacher_goal", "cheetah_velocity", "cheetah_direction")
BACKENDS = ("spring", "positional", "generalized", "mjx")
_BASE_ENV = {"reacher_goal": "reacher", "cheetah_velocity": "halfcheetah",
             "cheetah_direction": "halfcheetah"}
GOAL_RADIUS = (0.1, 0.2)          # reacher goal annulus (m)
TARGET_VELOCITY = (0.0, 2.0)      # half-cheetah target x-velocity (m/s)


def _wrapper_base():
    from brax.envs.base import Wrapper

    return Wrapper


def check_task(task: str, backend: str) -> None:
    if task not in TASKS:
        raise ValueError(f"tasks.brax_schedule.env must be one of {', '.join(TASKS)}, got {task!r}")
    if backend not in BACKENDS:
        raise ValueError(f"tasks.brax_schedule.backend must be one of {', '.join(BACKENDS)}, got {backend!r}")


@functools.lru_cache(maxsize=None)
def make_task_env(task: str, backend: str):
    """The wrapped Brax env of ``task`` on ``backend`` (cached: building a Brax system takes
    seconds)."""
    check_task(task, backend)
    from brax import envs

    base = envs.get_environment(_BASE_ENV[task], backend=backend)
    Wrapper = _wrapper_base()

    class ReacherGoal(Wrapper):
        """Reacher whose goal lies in the annulus ``GOAL_RADIUS`` around the base."""

        def reset(self, rng):
            state = self.env.reset(rng)
            r_key, a_key = jax.random.split(jax.random.fold_in(rng, 1))
            lo, hi = GOAL_RADIUS
            radius = jnp.sqrt(jax.random.uniform(r_key, minval=lo ** 2, maxval=hi ** 2))
            angle = 2 * jnp.pi * jax.random.uniform(a_key)
            goal = radius * jnp.array([jnp.cos(angle), jnp.sin(angle)])
            unwrapped = self.env.unwrapped
            pipeline = state.pipeline_state
            pipeline = unwrapped.pipeline_init(pipeline.q.at[2:].set(goal), pipeline.qd)
            return state.replace(pipeline_state=pipeline, obs=unwrapped._get_obs(pipeline),
                                 info={**state.info, "task": goal})

    class CheetahVelocity(Wrapper):
        """Half-cheetah rewarded for matching a target x-velocity."""

        def reset(self, rng):
            state = self.env.reset(rng)
            target = jax.random.uniform(jax.random.fold_in(rng, 1), minval=TARGET_VELOCITY[0],
                                        maxval=TARGET_VELOCITY[1])
            return state.replace(info={**state.info, "task": target})

        def step(self, state, action):
            state = self.env.step(state, action)
            reward = -jnp.abs(state.metrics["x_velocity"] - state.info["task"]) \
                + state.metrics["reward_ctrl"]
            return state.replace(reward=reward)

    class CheetahDirection(Wrapper):
        """Half-cheetah rewarded for running in direction ``+-1``."""

        def reset(self, rng):
            state = self.env.reset(rng)
            direction = jnp.where(jax.random.bernoulli(jax.random.fold_in(rng, 1)), 1.0, -1.0)
            return state.replace(info={**state.info, "task": direction})

        def step(self, state, action):
            state = self.env.step(state, action)
            reward = state.info["task"] * state.metrics["x_velocity"] + state.metrics["reward_ctrl"]
            return state.replace(reward=reward)

    wrapper = {"reacher_goal": ReacherGoal, "cheetah_velocity": CheetahVelocity,
               "cheetah_direction": CheetahDirection}[task]
    return wrapper(base)
