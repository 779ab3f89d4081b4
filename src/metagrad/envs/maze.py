"""The open gridworld of Vuorio et al. (2022), figures 9 and 10 (spec section 6).

An open ``side x side`` grid, no walls; 4 moves (up, down, left, right) clipped at the border.
A player and two objects stand on distinct random cells. Stepping onto an object gives its
reward and respawns it on a uniformly random cell free of the player and the other object;
every other step gives ``step_reward`` (-0.04). The object rewards are (+1, -1) or (-1, +1)
(``object_rewards``, drawn by the problem at each reward flip). Observation: one-hot row and
column of the player, object 1 and object 2 (``6 * side`` dims) and one-hot time in episode
(``episode_length`` dims): 26 dims for side 3 / 8 steps, 46 for side 5 / 16 steps.

Episodes have a fixed length and reset at the end; a trajectory is one whole episode, so
returns are Monte-Carlo and nothing is bootstrapped. The environment follows Brax's ``Env``
interface (``reset``/``step`` on a ``State``). All env randomness (start cells, respawns) comes
from the key in ``state.info["rng"]``, indexed by the step in the episode, never by the
actions: two episodes reset with the same key and the same object rewards see the same noise
whatever the agent does (common random numbers for finite differences, and a fixed noise
realisation for exact enumeration over actions).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from brax.envs.base import Env, State

MOVES = jnp.array([[-1, 0], [1, 0], [0, -1], [0, 1]], jnp.int32)   # up, down, left, right
NUM_ACTIONS = 4
STEP_REWARD = -0.04


class MazeEnv(Env):
    """One episode of the gridworld; ``vmap`` it over trajectories and agents."""

    def __init__(self, side: int = 3, episode_length: int = 8, step_reward: float = STEP_REWARD):
        if int(side) < 2:
            raise ValueError(f"side must be an integer >= 2, got {side!r}")
        if int(episode_length) < 1:
            raise ValueError(f"episode_length must be an integer >= 1, got {episode_length!r}")
        self.side = int(side)
        self.episode_length = int(episode_length)
        self.step_reward = float(step_reward)

    # -- helpers -------------------------------------------------------------------------
    def cell(self, position: jax.Array) -> jax.Array:
        return position[..., 0] * self.side + position[..., 1]

    def position(self, cell: jax.Array) -> jax.Array:
        return jnp.stack([cell // self.side, cell % self.side], axis=-1)

    def observe(self, player, objects, t) -> jax.Array:
        parts = [jax.nn.one_hot(p, self.side) for p in
                 (player[0], player[1], objects[0, 0], objects[0, 1], objects[1, 0], objects[1, 1])]
        return jnp.concatenate(parts + [jax.nn.one_hot(t, self.episode_length)])

    def respawn(self, key, player, other) -> jax.Array:
        """A uniform cell free of ``player`` and ``other`` (positions ``[2]``)."""
        cells = jnp.arange(self.side * self.side)
        free = (cells != self.cell(player)) & (cells != self.cell(other))
        return self.position(jax.random.categorical(key, jnp.where(free, 0.0, -jnp.inf)))

    # -- Brax Env interface ----------------------------------------------------------------
    def reset_with_rewards(self, rng: jax.Array, object_rewards: jax.Array) -> State:
        start_key, noise_key = jax.random.split(rng)
        cells = jax.random.choice(start_key, self.side * self.side, (3,), replace=False)
        player, objects = self.position(cells[0]), self.position(cells[1:])
        t = jnp.zeros((), jnp.int32)
        return State(pipeline_state=None, obs=self.observe(player, objects, t),
                     reward=jnp.zeros(()), done=jnp.zeros(()), metrics={},
                     info={"player": player, "objects": objects, "t": t, "rng": noise_key,
                           "object_rewards": jnp.asarray(object_rewards, jnp.float32)})

    def reset(self, rng: jax.Array) -> State:
        sign_key, rng = jax.random.split(rng)
        return self.reset_with_rewards(rng, sample_object_rewards(sign_key))

    def step(self, state: State, action: jax.Array) -> State:
        info = state.info
        player = jnp.clip(info["player"] + MOVES[action], 0, self.side - 1)
        objects, t = info["objects"], info["t"]
        hits = jnp.all(objects == player[None, :], axis=-1)                      # [2]
        key = jax.random.fold_in(info["rng"], t)
        # at most one object sits on the player's cell (objects are on distinct cells)
        new0 = self.respawn(jax.random.fold_in(key, 0), player, objects[1])
        new1 = self.respawn(jax.random.fold_in(key, 1), player, objects[0])
        objects = jnp.stack([jnp.where(hits[0], new0, objects[0]),
                             jnp.where(hits[1], new1, objects[1])])
        reward = jnp.where(hits.any(), jnp.sum(hits * info["object_rewards"]), self.step_reward)
        t = t + 1
        done = (t >= self.episode_length).astype(jnp.float32)
        obs = self.observe(player, objects, jnp.minimum(t, self.episode_length - 1))
        return state.replace(obs=obs, reward=reward, done=done,
                             info={**info, "player": player, "objects": objects, "t": t})

    @property
    def observation_size(self) -> int:
        return 6 * self.side + self.episode_length

    @property
    def action_size(self) -> int:
        return NUM_ACTIONS

    @property
    def backend(self) -> str:
        return "none"


def sample_object_rewards(key: jax.Array) -> jax.Array:
    """(+1, -1) or (-1, +1) with equal probability (one reward flip)."""
    return jnp.where(jax.random.bernoulli(key), jnp.array([1.0, -1.0]), jnp.array([-1.0, 1.0]))
