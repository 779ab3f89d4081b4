"""The gridworld's dynamics (spec section 6): observation layout and sizes, clipped moves,
object rewards, respawn on a free cell, the -0.04 step reward, episode length."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metagrad.envs.maze import MOVES, MazeEnv, sample_object_rewards


@pytest.mark.parametrize("side,length,dims", [(3, 8, 26), (5, 16, 46)])
def test_observation_size(side, length, dims):
    env = MazeEnv(side, length)
    state = env.reset(jax.random.PRNGKey(0))
    assert env.observation_size == dims and state.obs.shape == (dims,)
    # six one-hot blocks of `side` plus one of the episode length, each summing to one
    blocks = np.split(np.asarray(state.obs), [side * k for k in range(1, 7)])
    assert [b.sum() for b in blocks] == [1.0] * 7
    assert blocks[-1][0] == 1.0                                   # time 0


def test_reset_puts_three_things_on_distinct_cells():
    env = MazeEnv(2, 4)
    for k in range(50):
        info = env.reset(jax.random.PRNGKey(k)).info
        cells = {tuple(np.asarray(info["player"]))} | {tuple(o) for o in np.asarray(info["objects"])}
        assert len(cells) == 3


def _state(env, player, objects, rewards=(1.0, -1.0), seed=0):
    state = env.reset_with_rewards(jax.random.PRNGKey(seed), jnp.asarray(rewards))
    return state.replace(info={**state.info, "player": jnp.asarray(player, jnp.int32),
                               "objects": jnp.asarray(objects, jnp.int32)})


def test_moves_are_clipped_at_the_border_and_cost_the_step_reward():
    env = MazeEnv(3, 8)
    objects = [[2, 2], [2, 1]]
    for action, expected in ((0, [0, 0]), (2, [0, 0]), (1, [1, 0]), (3, [0, 1])):
        state = env.step(_state(env, [0, 0], objects), jnp.asarray(action))
        np.testing.assert_array_equal(np.asarray(state.info["player"]), expected)
        assert float(state.reward) == pytest.approx(-0.04)
        np.testing.assert_array_equal(np.asarray(state.info["objects"]), objects)
    assert np.asarray(MOVES).tolist() == [[-1, 0], [1, 0], [0, -1], [0, 1]]


@pytest.mark.parametrize("hit,rewards", [(0, (1.0, -1.0)), (1, (1.0, -1.0)), (0, (-1.0, 1.0))])
def test_stepping_on_an_object_gives_its_reward_and_respawns_it_on_a_free_cell(hit, rewards):
    env = MazeEnv(2, 8)
    objects = [[0, 1], [1, 0]]
    action = 3 if hit == 0 else 1                         # right onto (0, 1), down onto (1, 0)
    for seed in range(20):
        state = env.step(_state(env, [0, 0], objects, rewards, seed), jnp.asarray(action))
        assert float(state.reward) == rewards[hit]
        player = np.asarray(state.info["player"])
        new = np.asarray(state.info["objects"])
        np.testing.assert_array_equal(new[1 - hit], objects[1 - hit])     # the other stays
        assert tuple(new[hit]) != tuple(player) and tuple(new[hit]) != tuple(new[1 - hit])
    # side 2: exactly one free cell is left, (1, 1) when player and the other object are known
    assert tuple(new[hit]) == (1, 1)


def test_respawn_is_uniform_over_free_cells():
    env = MazeEnv(3, 8)
    player, other = jnp.asarray([1, 1]), jnp.asarray([0, 0])
    cells = jax.vmap(lambda k: env.cell(env.respawn(k, player, other)))(
        jax.random.split(jax.random.PRNGKey(0), 7000))
    counts = np.bincount(np.asarray(cells), minlength=9)
    assert counts[4] == 0 and counts[0] == 0
    # 7 free cells, 1000 expected each, binomial sd ~ 29: 5 sd bands (false failure < 1e-5)
    assert np.all(np.abs(counts[[1, 2, 3, 5, 6, 7, 8]] - 1000) < 150)


def test_episode_time_and_done():
    env = MazeEnv(3, 3)
    state = env.reset(jax.random.PRNGKey(1))
    for t in range(3):
        assert int(state.info["t"]) == t
        state = env.step(state, jnp.asarray(0))
    assert float(state.done) == 1.0


def test_object_rewards_are_both_signs_with_equal_probability():
    draws = np.asarray(jax.vmap(sample_object_rewards)(jax.random.split(jax.random.PRNGKey(0), 4000)))
    assert set(map(tuple, draws)) == {(1.0, -1.0), (-1.0, 1.0)}
    assert abs((draws[:, 0] > 0).mean() - 0.5) < 0.04          # 5 sd


@pytest.mark.parametrize("kwargs,key", [({"side": 1}, "side"), ({"episode_length": 0}, "episode_length")])
def test_bad_sizes_name_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key):
        MazeEnv(**kwargs)
