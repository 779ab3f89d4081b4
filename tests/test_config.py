import copy

import pytest
import yaml

from metagrad.config import (
    ConfigError,
    available_profiles,
    config_hash,
    config_slice,
    load_config,
    section,
    validate_config,
)

PROFILES = ("smoke", "default", "paper")


@pytest.mark.parametrize("profile", PROFILES)
def test_profiles_load(profile):
    cfg = load_config(profile)
    assert cfg["profile"] == profile
    assert section(cfg, "landscape")["lifetime_length"] >= 1


def test_paper_profile_has_paper_sizes():
    lan = load_config("paper")["experiments"]["landscape"]
    assert (lan["grid_size"], lan["num_bandits"], lan["num_iterations"], lan["num_seeds"]) == (50, 1000, 100, 5)
    assert (lan["grid_low"], lan["grid_high"], lan["lifetime_length"], lan["schedule_split_step"]) == (-5.0, 15.0, 30, 7)


def test_available_profiles():
    assert set(PROFILES) <= set(available_profiles())


def test_unknown_profile_lists_available():
    with pytest.raises(ConfigError) as exc:
        load_config("defualt")
    msg = str(exc.value)
    assert "defualt" in msg and "default" in msg and "smoke" in msg and "paper" in msg
    assert "\n" not in msg


def _bad(mutate):
    cfg = copy.deepcopy(load_config("default"))
    mutate(cfg)
    with pytest.raises(ConfigError) as exc:
        validate_config(cfg, "default")
    assert "\n" not in str(exc.value)
    return exc.value


def test_misspelt_key_names_key_and_allowed_keys():
    err = _bad(lambda c: c["experiments"]["landscape"].update(grid_sise=c["experiments"]["landscape"].pop("grid_size")))
    msg = str(err)
    assert "experiments.landscape.grid_sise" in msg
    assert "grid_size" in msg and "num_bandits" in msg  # the allowed keys


def test_misspelt_top_level_key():
    err = _bad(lambda c: c.update(sed=c.pop("seed")))
    assert "sed" in str(err) and "seed" in str(err)


def test_missing_key():
    err = _bad(lambda c: c["tasks"]["bandit"].pop("num_arms"))
    assert "tasks.bandit.num_arms" in str(err) and "missing" in str(err)


@pytest.mark.parametrize(
    "path, value, expect",
    [
        (("experiments", "landscape", "grid_size"), 1, ">= 2"),
        (("tasks", "bandit", "num_arms"), 1, ">= 2"),
        (("tasks", "bandit", "batch_size"), 0, ">= 1"),
        (("tasks", "bandit", "reward_noise_std"), 0.0, "> 0"),
        (("seed",), -1, ">= 0"),
        (("tasks", "bandit", "num_arms"), 2.5, "integer"),
        (("experiments", "landscape", "num_seeds"), "five", "integer"),
    ],
)
def test_out_of_range_value(path, value, expect):
    def mutate(c):
        d = c
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value

    err = _bad(mutate)
    assert ".".join(path) in str(err)
    assert expect in str(err)
    assert err.key == ".".join(path)


def test_cross_field_checks():
    err = _bad(lambda c: c["tasks"]["bandit"].update(log_mean_low=5.0))
    assert "tasks.bandit.log_mean_low" in str(err) and "log_mean_high" in str(err)
    err = _bad(lambda c: c["experiments"]["landscape"].update(schedule_split_step=30))
    assert "schedule_split_step" in str(err) and "lifetime_length" in str(err)
    err = _bad(lambda c: c["experiments"]["landscape"].update(grid_low=20.0))
    assert "grid_low" in str(err)


def test_profile_name_must_match_file():
    err = _bad(lambda c: c.update(profile="smoke"))
    assert "profile" in str(err) and "default" in str(err)


def test_bad_profile_file_on_disk(tmp_path):
    import shutil
    from metagrad.config import find_root

    root = find_root()
    (tmp_path / "workflow" / "config").mkdir(parents=True)
    shutil.copytree(root / "workflow" / "schemas", tmp_path / "workflow" / "schemas")
    cfg = load_config("smoke")
    cfg["profile"] = "mine"
    cfg["experiments"]["landscape"]["num_bandits"] = 0
    (tmp_path / "workflow" / "config" / "mine.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match=r"experiments\.landscape\.num_bandits = 0 .*>= 1"):
        load_config("mine", root=tmp_path)


def test_yaml_exponent_floats_are_numbers(tmp_path):
    import shutil
    from metagrad.config import find_root

    root = find_root()
    (tmp_path / "workflow" / "config").mkdir(parents=True)
    shutil.copytree(root / "workflow" / "schemas", tmp_path / "workflow" / "schemas")
    text = (root / "workflow" / "config" / "smoke.yaml").read_text()
    text = text.replace("profile: smoke", "profile: exp").replace("reward_noise_std: 2.0", "reward_noise_std: 2e0")
    (tmp_path / "workflow" / "config" / "exp.yaml").write_text(text)
    assert load_config("exp", root=tmp_path)["tasks"]["bandit"]["reward_noise_std"] == 2.0


def test_hash_stable_and_sensitive():
    a = load_config("default")
    b = copy.deepcopy(a)
    assert config_hash(a) == config_hash(b)
    assert len(config_hash(a)) == 12 and all(ch in "0123456789abcdef" for ch in config_hash(a))
    # key order does not matter
    reordered = dict(reversed(list(b.items())))
    assert config_hash(reordered) == config_hash(a)
    b["experiments"]["landscape"]["num_bandits"] += 1
    assert config_hash(b) != config_hash(a)
    assert config_hash(load_config("smoke")) != config_hash(a)


def test_section_and_slice():
    cfg = load_config("smoke")
    assert section(cfg, "landscape") is cfg["experiments"]["landscape"]
    with pytest.raises(ConfigError, match="available experiments: .*landscape"):
        section(cfg, "nonexistent")
    s = config_slice(cfg, "landscape")
    assert set(s) == {"seed", "tasks", "experiments"} and set(s["experiments"]) == {"landscape"}


def test_an_experiment_must_name_a_defined_task_and_its_kind():
    err = _bad(lambda c: c["experiments"]["landscape"].update(kind="frontier"))
    assert "experiments.landscape.kind" in str(err) and "landscape" in str(err)
    from metagrad.config import validate_config
    cfg = load_config("smoke")
    cfg["experiments"]["landscape"]["task"] = "maze"
    with pytest.raises(ConfigError, match="experiments.landscape.task"):
        validate_config(cfg)


def test_the_config_slice_is_seed_plus_task_plus_experiment():
    """A rule's params: changing another experiment or another key leaves them unchanged."""
    from metagrad.config import config_slice
    cfg = load_config("default")
    part = config_slice(cfg, "frontier_L80")
    assert set(part) == {"seed", "tasks", "experiments"}
    assert part["tasks"] == {"bandit": cfg["tasks"]["bandit"]}
    assert part["experiments"] == {"frontier_L80": cfg["experiments"]["frontier_L80"]}
    other = copy.deepcopy(cfg)
    other["experiments"]["landscape"]["num_seeds"] += 1
    assert config_slice(other, "frontier_L80") == part


@pytest.mark.parametrize(
    "path, value, expect",
    [
        (("tasks", "maze", "side"), 1, ">= 2"),
        (("tasks", "maze", "episode_length"), 0, ">= 1"),
        (("experiments", "maze_gradients", "coefficient"), 1.5, "<= 1"),
        (("experiments", "maze_gradients", "coefficient"), -0.1, ">= 0"),
        (("experiments", "maze_gradients", "fd_epsilon"), 0.0, "> 0"),
        (("experiments", "maze_gradients", "fd_epsilon"), -0.1, "> 0"),
    ],
)
def test_maze_bad_input_names_the_key(path, value, expect):
    test_out_of_range_value(path, value, expect)


def test_maze_window_longer_than_the_flip_interval():
    err = _bad(lambda c: c["experiments"]["maze_gradients"].update(flip_interval=639))
    assert err.key == "experiments.maze_gradients.window_length"
    assert "flip_interval" in str(err) and "640 env steps" in str(err)
