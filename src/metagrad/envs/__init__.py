"""Tasks behind Brax's ``Env`` interface (``reset(rng) -> State``, ``step(state, action) -> State``)."""

from metagrad.envs.bandit import BanditEnv

__all__ = ["BanditEnv"]
