"""Cross-field rules of a ``maze_training`` section (figure 10), without JAX, so that
``metagrad validate`` and the config loader (``metagrad.config.CROSS_CHECKS``) apply the same
rules as the runner, before any compute. The schema holds the ranges of single values."""

from __future__ import annotations

import math

__all__ = ["check_section", "log_interval_updates", "steps_per_update"]


def steps_per_update(section: dict) -> int:
    return int(section["trajectories_per_update"]) * int(section["episode_length"])


def log_interval_updates(section: dict, truncation: int) -> int:
    """Updates per table row of a configuration: the least multiple of the window that holds a
    whole number of ``log_every`` intervals (a window longer than ``log_every`` logs at its end)."""
    every = max(1, int(section["log_every"]) // steps_per_update(section))
    return math.lcm(every, int(truncation))


def check_section(section: dict, name: str = "maze_training") -> None:
    """Every cross-field rule of a ``maze_training`` section (the schema holds the ranges):
    ValueError naming the key, before any compute."""
    prefix = f"experiments.{name}"
    per_update = steps_per_update(section)
    if int(section["log_every"]) % per_update:
        raise ValueError(f"{prefix}.log_every = {section['log_every']!r} must be a multiple of "
                         f"the env steps per update ({per_update})")
    for key in ("env_steps", "final_env_steps", "flip_interval"):
        if int(section[key]) % per_update:
            raise ValueError(f"{prefix}.{key} = {section[key]!r} must be a multiple of the env "
                             f"steps per update ({per_update})")
    if int(section["final_env_steps"]) > int(section["env_steps"]):
        raise ValueError(f"{prefix}.final_env_steps = {section['final_env_steps']!r} must be <= "
                         f"{prefix}.env_steps = {section['env_steps']!r}")
    if int(section["num_agents"]) % 2:
        raise ValueError(f"{prefix}.num_agents = {section['num_agents']!r} must be even "
                         f"(ES and PES use antithetic pairs)")
    updates = int(section["env_steps"]) // per_update
    final = int(section["final_env_steps"]) // per_update
    for key in ("mg_truncations", "pes_truncations"):   # the bad input of issue 11
        for i, t in enumerate(section[key]):
            if int(t) * per_update > int(section["flip_interval"]):
                raise ValueError(
                    f"{prefix}.{key}[{i}] = {t!r} makes a window of {int(t) * per_update} env "
                    f"steps, longer than {prefix}.flip_interval = {section['flip_interval']!r}")
    for i, t in enumerate(section["pes_truncations"]):
        if int(section["pes_horizon"]) % int(t):
            raise ValueError(f"{prefix}.pes_horizon = {section['pes_horizon']!r} must be a "
                             f"multiple of {prefix}.pes_truncations[{i}] = {t!r}")
    for key in ("mg_truncations", "es_truncations", "pes_truncations"):
        for i, t in enumerate(section[key]):
            interval = log_interval_updates(section, int(t))
            for what, n in (("env_steps", updates), ("final_env_steps", final)):
                if n % interval:
                    raise ValueError(
                        f"{prefix}.{what} = {section[what]!r} must hold a whole number of "
                        f"{prefix}.{key}[{i}] = {t!r}'s log intervals ({interval} updates = "
                        f"{interval * per_update} env steps)")
