"""Persistent maze agents with reward flips at window starts (spec section 6, figure 10).

Figure 10 of Vuorio et al. (2022) meta-trains the "context" entropy coefficient over agents
that are never reset: every agent keeps its actor-critic parameters (and its FIFO of recent
mean rewards) for the whole run, and its object rewards are redrawn ("reward flip", which
changes nothing half of the time) every ``flip_interval`` env steps, checked at window
starts. ``PersistentMaze`` wraps a :class:`~metagrad.problems.maze.MazeProblem` behind the
same ``MetaProblem`` interface, so every estimator (online MG, online truncated ES, PES) runs
the same agents, flips and bookkeeping:

- ``start`` makes a fresh agent (used once per agent, at the start of a run);
- ``collect`` first applies a due flip, then collects one update's episodes; it also counts
  the agent's env steps and the sum of its rewards, so a run reads the reward per step of its
  agents from their environment states whatever the estimator.

Flip rule: a window starts when the agent's update count is a multiple of
``window_length``; a flip happens there when an interval boundary (a multiple of
``flip_interval`` env steps) was crossed since the previous window start. Windows that divide
the interval flip exactly every ``flip_interval`` env steps; other windows keep that rate on
average, each flip waiting for the next window start; windows longer than the interval (the
paper's ES at 200 and 400 updates) flip at every window start. The new object rewards come
from the agent's own flip key and update count (never from its actions).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from metagrad.envs.maze import sample_object_rewards


class AgentState(NamedTuple):
    maze: Any                 # the wrapped problem's env state (MazeState)
    flip_key: jax.Array
    env_steps: jax.Array      # int: env steps collected so far
    reward_total: jax.Array   # float: sum of every reward collected so far
    flips: jax.Array          # int: flips so far


class PersistentMaze:
    """``problem`` (a MazeProblem) with persistent agents and reward flips at window starts."""

    def __init__(self, problem, window_length: int, flip_interval: int,
                 lifetime_length: int | None = None):
        if int(window_length) < 1:
            raise ValueError(f"window_length must be an integer >= 1, got {window_length!r}")
        if int(flip_interval) < 1:
            raise ValueError(f"flip_interval must be an integer >= 1, got {flip_interval!r}")
        self.problem = problem
        self.window_length = int(window_length)
        self.flip_interval = int(flip_interval)
        self.steps_per_update = problem.batch_size * problem.env.episode_length
        # estimators read this: online MG and truncated ES run one window per call; PES
        # restarts its perturbation sum after ``lifetime_length`` updates (agents persist)
        self.lifetime_length = int(lifetime_length or self.window_length)

    def eta_template(self):
        return self.problem.eta_template()

    def sample_task(self, key):
        return self.problem.sample_task(key)

    def start(self, key, task, eta):
        agent_key, flip_key = jax.random.split(key)
        learner, maze = self.problem.start(agent_key, task, eta)
        zero = jnp.zeros((), jnp.int32)
        return learner, AgentState(maze, flip_key, zero, jnp.zeros((), jnp.float32), zero)

    def flip_due(self, env_state: AgentState) -> jax.Array:
        steps = env_state.env_steps
        window_steps = self.window_length * self.steps_per_update
        at_window_start = env_state.maze.update % self.window_length == 0
        crossed = steps // self.flip_interval > jnp.maximum(steps - window_steps, 0) // self.flip_interval
        return at_window_start & crossed & (steps > 0)

    def collect(self, learner, env_state: AgentState, key):
        due = self.flip_due(env_state)
        new_rewards = sample_object_rewards(jax.random.fold_in(env_state.flip_key,
                                                               env_state.maze.update))
        maze = env_state.maze._replace(object_rewards=jnp.where(
            due, new_rewards, env_state.maze.object_rewards))
        maze, batch = self.problem.collect(learner, maze, key)
        rewards = jax.lax.stop_gradient(batch.rewards)
        state = AgentState(maze, env_state.flip_key,
                           env_state.env_steps + rewards.size,
                           env_state.reward_total + jnp.sum(rewards),
                           env_state.flips + due.astype(jnp.int32))
        return state, batch

    def update(self, learner, batch, eta, step, hessian="none"):
        return self.problem.update(learner, batch, eta, step, hessian)

    def outer_terms(self, learner, batch, eta, step):
        return self.problem.outer_terms(learner, batch, eta, step)
