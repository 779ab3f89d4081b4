"""Load, validate and hash profile configurations.

A profile is ``workflow/config/<profile>.yaml``; it is validated against
``workflow/schemas/config.schema.yaml`` (JSON schema written in YAML) plus a few cross-field
checks JSON schema cannot express. Every failure raises :class:`ConfigError` whose message is a
single line naming the offending key path and what is allowed, e.g.::

    ConfigError: workflow/config/default.yaml: experiments.landscape.grid_size = 1 is out of
    range; allowed: an integer >= 2

Public API: :func:`load_config`, :func:`validate_config`, :func:`available_profiles`,
:func:`config_hash`, :func:`section`, :func:`config_slice`, :func:`find_root`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

__all__ = [
    "ConfigError",
    "find_root",
    "config_dir",
    "schema_path",
    "available_profiles",
    "load_config",
    "validate_config",
    "config_hash",
    "section",
    "config_slice",
    "task_config",
    "CROSS_CHECKS",
]

CONFIG_SUBDIR = Path("workflow") / "config"
SCHEMA_SUBPATH = Path("workflow") / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """A bad profile or config value. ``str(err)`` is one line naming the key and what is allowed."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(" ".join(str(message).split()))  # guarantee a single line
        self.key = key


# --------------------------------------------------------------------------------------------
# locating files
# --------------------------------------------------------------------------------------------

def _is_root(path: Path) -> bool:
    return (path / CONFIG_SUBDIR).is_dir() and (path / SCHEMA_SUBPATH).is_file()


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The repository root (the folder holding ``workflow/config`` and the schema).

    Order: ``$METAGRAD_ROOT``; ``start`` (default: the working directory) and its parents; the
    checkout this package was imported from (editable install).
    """
    env = os.environ.get("METAGRAD_ROOT")
    if env:
        if not _is_root(Path(env)):
            raise ConfigError(f"METAGRAD_ROOT={env} does not contain {CONFIG_SUBDIR} and {SCHEMA_SUBPATH}")
        return Path(env).resolve()
    here = Path(start or os.getcwd()).resolve()
    for cand in (here, *here.parents):
        if _is_root(cand):
            return cand
    pkg_root = Path(__file__).resolve().parents[2]
    if _is_root(pkg_root):
        return pkg_root
    raise ConfigError(
        f"cannot find {CONFIG_SUBDIR}/ and {SCHEMA_SUBPATH}; run from the repository root or set METAGRAD_ROOT"
    )


def config_dir(root: str | os.PathLike | None = None) -> Path:
    return (Path(root) if root else find_root()) / CONFIG_SUBDIR


def schema_path(root: str | os.PathLike | None = None) -> Path:
    return (Path(root) if root else find_root()) / SCHEMA_SUBPATH


def available_profiles(cfg_dir: str | os.PathLike | None = None) -> list[str]:
    d = Path(cfg_dir) if cfg_dir else config_dir()
    return sorted(p.stem for p in d.glob("*.yaml"))


# --------------------------------------------------------------------------------------------
# YAML: PyYAML (YAML 1.1) reads "1e-3" as a string; accept it as a float like YAML 1.2 does.
# --------------------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    pass


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _read_yaml(path: Path) -> Any:
    try:
        with open(path) as fh:
            return yaml.load(fh, Loader=_Loader)
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None


_SCHEMA_CACHE: dict[str, tuple[float, dict]] = {}


def _load_schema(path: Path) -> dict:
    key = str(Path(path).resolve())
    mtime = Path(path).stat().st_mtime
    hit = _SCHEMA_CACHE.get(key)
    if hit and hit[0] == mtime:
        return hit[1]
    schema = _read_yaml(Path(path))
    _SCHEMA_CACHE[key] = (mtime, schema)
    return schema


# --------------------------------------------------------------------------------------------
# error messages
# --------------------------------------------------------------------------------------------

def _key_path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def describe_allowed(schema: dict) -> str:
    """Human text for what a (sub)schema allows, e.g. 'an integer >= 2'."""
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return f"exactly {schema['const']!r}"
    typ = schema.get("type")
    names = {"integer": "an integer", "number": "a number", "string": "a string",
             "boolean": "true or false", "object": "a mapping", "array": "a list"}
    if isinstance(typ, list):
        text = " or ".join(names.get(t, t) for t in typ)
    else:
        text = names.get(typ, "a value")
    bounds = []
    for kw, op in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if kw in schema:
            bounds.append(f"{op} {schema[kw]}")
    if bounds:
        text += " " + " and ".join(bounds)
    if "pattern" in schema:
        text += f" matching {schema['pattern']}"
    if "minItems" in schema:
        text += f" with at least {schema['minItems']} items"
    if "maxItems" in schema:
        text += f" with at most {schema['maxItems']} items"
    if schema.get("uniqueItems"):
        text += " without duplicates"
    return text


def _message(err) -> tuple[str, str]:
    """(key path, one-line message) for a jsonschema ValidationError."""
    path = _key_path(err.absolute_path)
    where = path or "top level"
    sub = err.schema if isinstance(err.schema, dict) else {}
    allowed_keys = sorted(sub.get("properties", {}))
    if err.validator == "additionalProperties":
        extra = sorted(k for k in err.instance if k not in sub.get("properties", {}))
        keys = ", ".join(_join(path, k) for k in extra)
        return _join(path, extra[0]) if extra else path, (
            f"unknown key {keys}; allowed keys at {where}: {', '.join(allowed_keys)}"
        )
    if err.validator == "required":
        missing = [k for k in err.validator_value if k not in err.instance]
        keys = ", ".join(_join(path, k) for k in missing)
        return _join(path, missing[0]) if missing else path, (
            f"missing key {keys}; required keys at {where}: {', '.join(err.validator_value)}"
        )
    if err.validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return path, f"{where} = {err.instance!r} is out of range; allowed: {describe_allowed(sub)}"
    if err.validator in ("type", "enum", "const", "pattern", "minItems", "maxItems", "uniqueItems"):
        return path, f"{where} = {err.instance!r} is not allowed; allowed: {describe_allowed(sub)}"
    return path, f"{where}: {err.message}"


# --------------------------------------------------------------------------------------------
# cross-field checks (what JSON schema cannot say). Each gets (cfg) and yields (key, message).
# --------------------------------------------------------------------------------------------

def _walk(obj: Any, path: str = ""):
    if isinstance(obj, dict):
        yield path, obj
        for k, v in obj.items():
            yield from _walk(v, _join(path, str(k)))


def _check_low_high(cfg: dict):
    """Every pair ``X_low``/``X_high`` in one mapping needs X_low < X_high."""
    for path, d in _walk(cfg):
        for k, low in d.items():
            if isinstance(k, str) and k.endswith("_low"):
                hk = k[: -len("_low")] + "_high"
                high = d.get(hk)
                if isinstance(low, (int, float)) and isinstance(high, (int, float)) and not low < high:
                    yield _join(path, k), (
                        f"{_join(path, k)} = {low!r} must be < {_join(path, hk)} = {high!r}"
                    )


def _check_split_step(cfg: dict):
    """``schedule_split_step`` must lie inside the lifetime: 0 <= split < lifetime_length."""
    for path, d in _walk(cfg):
        if "schedule_split_step" in d and "lifetime_length" in d:
            s, L = d["schedule_split_step"], d["lifetime_length"]
            if isinstance(s, int) and isinstance(L, int) and not s < L:
                key = _join(path, "schedule_split_step")
                yield key, f"{key} = {s!r} is out of range; allowed: an integer >= 0 and < lifetime_length ({L})"


def _check_truncation_lengths(cfg: dict):
    """Every ``truncation_lengths`` entry needs 0 <= truncation < lifetime_length (window <= L)."""
    for path, d in _walk(cfg):
        L = d.get("lifetime_length")
        for k in ("truncation_lengths",):
            values = d.get(k)
            if isinstance(L, int) and isinstance(values, list):
                for i, t in enumerate(values):
                    if isinstance(t, int) and not 0 <= t < L:
                        key = f"{_join(path, k)}[{i}]"
                        yield key, (f"{key} = {t!r} is out of range; allowed: an integer >= 0 "
                                    f"and < lifetime_length ({L}); {L - 1} means no truncation")


def _check_tasks_defined(cfg: dict):
    """Every experiment's ``task`` must be a section of ``tasks``."""
    tasks = cfg.get("tasks") or {}
    for name, sec in (cfg.get("experiments") or {}).items():
        task = sec.get("task") if isinstance(sec, dict) else None
        if task is not None and task not in tasks:
            key = f"experiments.{name}.task"
            yield key, (f"{key} = {task!r} names no section of tasks; allowed: "
                        f"{', '.join(repr(t) for t in sorted(tasks)) or '(none defined)'}")


def _check_maze_windows(cfg: dict):
    """A maze window (``window_length`` updates of ``trajectories_per_update`` episodes of
    ``episode_length`` steps) must fit in the flip interval (env steps per agent)."""
    tasks = cfg.get("tasks") or {}
    for name, sec in (cfg.get("experiments") or {}).items():
        if not isinstance(sec, dict) or "flip_interval" not in sec or "window_length" not in sec:
            continue
        task = tasks.get(sec.get("task")) if isinstance(sec.get("task"), str) else None
        if not isinstance(task, dict):
            continue
        try:
            steps = int(sec["window_length"]) * int(task["trajectories_per_update"]) * int(task["episode_length"])
        except (KeyError, TypeError, ValueError):
            continue
        if isinstance(sec["flip_interval"], int) and steps > sec["flip_interval"]:
            key = f"experiments.{name}.window_length"
            yield key, (f"{key} = {sec['window_length']!r} makes a window of {steps} env steps, longer "
                        f"than experiments.{name}.flip_interval = {sec['flip_interval']!r}")


# variance-reduced frontier rows each task can compute (bandit: known arm means; Brax: none)
_RB_FORMS = {"bandit": {"rb_outer_terms": ("sampled", "conditional"),
                        "rb_baseline": ("none", "expected_reward", "lookahead")},
             "brax_schedule": {"rb_outer_terms": ("sampled",), "rb_baseline": ("none", "history")}}


def _check_rb_forms(cfg: dict):
    """A frontier's ``rb_outer_terms`` / ``rb_baseline`` must be ones its task computes."""
    for name, sec in (cfg.get("experiments") or {}).items():
        if not isinstance(sec, dict) or sec.get("kind") != "frontier":
            continue
        for key, allowed in _RB_FORMS.get(sec.get("task"), {}).items():
            if key in sec and sec[key] not in allowed:
                full = f"experiments.{name}.{key}"
                yield full, (f"{full} = {sec[key]!r} is not computed on task {sec['task']!r}; "
                             f"allowed: {', '.join(allowed)}")


def _check_es_rb(cfg: dict):
    """``es_rb_batches`` is 0 (none) or >= 2 batches of an experiment that includes ES."""
    for name, sec in (cfg.get("experiments") or {}).items():
        if not isinstance(sec, dict) or sec.get("kind") != "frontier":
            continue
        n = sec.get("es_rb_batches")
        if not isinstance(n, int) or n == 0:
            continue
        key = f"experiments.{name}.es_rb_batches"
        if n < 2:
            yield key, f"{key} = {n!r} is too few for a batch bootstrap; allowed: 0 (none) or an integer >= 2"
        elif sec.get("include_es") is False:
            yield key, f"{key} = {n!r} needs ES rows; allowed: 0 when include_es is false"


def _check_training_truncations(cfg: dict):
    """Brax meta-training rows need 0 <= truncation_length < lifetime_length."""
    for name, sec in (cfg.get("experiments") or {}).items():
        if not isinstance(sec, dict) or sec.get("kind") != "brax_training":
            continue
        L = sec.get("lifetime_length")
        for i, row in enumerate(sec.get("estimators") or []):
            t = row.get("truncation_length") if isinstance(row, dict) else None
            if isinstance(L, int) and isinstance(t, int) and not 0 <= t < L:
                key = f"experiments.{name}.estimators[{i}].truncation_length"
                yield key, f"{key} = {t!r} is out of range; allowed: an integer >= 0 and < lifetime_length ({L})"
            if isinstance(row, dict) and row.get("kind") == "mg" and "coefficient" not in row:
                key = f"experiments.{name}.estimators[{i}].coefficient"
                yield key, f"{key} is missing; an mg row needs a coefficient in [0, 1]"


def _check_maze_training(cfg: dict):
    """Figure 10's cross-field rules (windows within the flip interval, whole log intervals),
    from the runner's own check so the two cannot disagree (imported lazily: no JAX here)."""
    for name, sec in (cfg.get("experiments") or {}).items():
        if not isinstance(sec, dict) or sec.get("kind") != "maze_training":
            continue
        import importlib

        check = importlib.import_module("metagrad.experiments.maze_training_checks").check_section
        try:
            check(sec, name)
        except ValueError as err:
            message = str(err)
            yield message.split(" ", 1)[0], message


# action sizes of the Brax task distributions (envs/brax_tasks.py), for checks without JAX
_BRAX_ACTION_SIZE = {"reacher_goal": 2, "cheetah_velocity": 6, "cheetah_direction": 6}


def _check_brax_maml(cfg: dict):
    """Brax MAML (ours): the c-sweep holds 0 and 1; K directions are even, and K/2 fit in the
    policy's output layer (action_size x (last width + 1) parameters)."""
    task = (cfg.get("tasks") or {}).get("brax_maml")
    for name, sec in (cfg.get("experiments") or {}).items():
        if not isinstance(sec, dict) or sec.get("kind") != "brax_maml":
            continue
        cs = sec.get("coefficients")
        if isinstance(cs, list) and not (0 in cs and 1 in cs):
            key = f"experiments.{name}.coefficients"
            yield key, f"{key} = {cs!r} must contain 0 (naive) and 1 (the sampling correction)"
        if isinstance(cs, list) and len(set(cs)) != len(cs):
            key = f"experiments.{name}.coefficients"
            yield key, f"{key} = {cs!r} has duplicates"
        k = sec.get("num_directions")
        if isinstance(k, int) and k % 2:
            key = f"experiments.{name}.num_directions"
            yield key, f"{key} = {k!r} must be even (half output-layer, half all-parameter directions)"
        if isinstance(k, int) and isinstance(task, dict):
            try:
                out = _BRAX_ACTION_SIZE[task["env"]] * (int(task["hidden"][-1]) + 1)
            except (KeyError, TypeError, ValueError, IndexError):
                continue
            if k // 2 > out:
                key = f"experiments.{name}.num_directions"
                yield key, (f"{key} = {k!r}: half of it exceeds the {out} output-layer parameters "
                            f"of tasks.brax_maml (env {task['env']!r}, hidden {task['hidden']!r})")


CROSS_CHECKS: list[Callable[[dict], Iterable[tuple[str, str]]]] = [
    _check_low_high, _check_split_step, _check_truncation_lengths, _check_tasks_defined,
    _check_maze_windows, _check_rb_forms, _check_es_rb, _check_training_truncations, _check_maze_training,
    _check_brax_maml]


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------

def validate_config(
    cfg: Any,
    profile: str | None = None,
    *,
    source: str | None = None,
    schema: str | os.PathLike | dict | None = None,
) -> dict:
    """Validate ``cfg`` and return it unchanged; raise :class:`ConfigError` (one line) if bad.

    ``profile``: the expected value of ``cfg['profile']`` (the file's name), if known.
    ``source``: prefix for messages (e.g. the file path).
    """
    import jsonschema

    prefix = f"{source}: " if source else ""
    if not isinstance(cfg, dict):
        raise ConfigError(f"{prefix}the config must be a mapping of keys to values, got {type(cfg).__name__}")
    sch = schema if isinstance(schema, dict) else _load_schema(Path(schema) if schema else schema_path())
    validator_cls = jsonschema.validators.validator_for(sch)
    validator = validator_cls(sch)
    errors = sorted(validator.iter_errors(cfg), key=lambda e: (list(map(str, e.absolute_path)), str(e.validator)))
    if errors:
        # Prefer the most specific error (deepest path) at the first offending key.
        err = jsonschema.exceptions.best_match(errors)
        key, msg = _message(err)
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        raise ConfigError(prefix + msg + more, key=key)
    if profile is not None and cfg.get("profile") != profile:
        raise ConfigError(
            f"{prefix}profile = {cfg.get('profile')!r} does not match the file's name; allowed: {profile!r}",
            key="profile",
        )
    for check in CROSS_CHECKS:
        for key, msg in check(cfg):
            raise ConfigError(prefix + msg, key=key)
    return cfg


def load_config(
    profile: str,
    *,
    root: str | os.PathLike | None = None,
    cfg_dir: str | os.PathLike | None = None,
    schema: str | os.PathLike | None = None,
) -> dict:
    """Read and validate ``workflow/config/<profile>.yaml``; return the config dict."""
    if root is None and (cfg_dir is None or schema is None):
        root = find_root()
    d = Path(cfg_dir) if cfg_dir else config_dir(root)
    sch = Path(schema) if schema else schema_path(root)
    path = d / f"{profile}.yaml"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", str(profile)) or not path.is_file():
        avail = available_profiles(d)
        raise ConfigError(
            f"unknown profile {profile!r}; available profiles: {', '.join(avail) or '(none)'} (files in {d})",
            key="profile",
        )
    cfg = _read_yaml(path)
    try:
        shown = os.path.relpath(path)
    except ValueError:  # different drive on Windows
        shown = str(path)
    return validate_config(cfg, profile, source=shown, schema=sch)


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def config_hash(obj: Any) -> str:
    """First 12 hex characters of the sha256 of the canonical JSON of ``obj``."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()[:12]


def section(cfg: dict, experiment_name: str) -> dict:
    """``cfg['experiments'][experiment_name]``, or a one-line ConfigError listing what exists."""
    exps = cfg.get("experiments") or {}
    if experiment_name not in exps:
        raise ConfigError(
            f"experiments.{experiment_name} is not in profile {cfg.get('profile')!r}; "
            f"available experiments: {', '.join(sorted(exps)) or '(none)'}",
            key=f"experiments.{experiment_name}",
        )
    return exps[experiment_name]


def task_config(cfg: dict, sec: dict) -> dict:
    """The task section an experiment runs on: ``cfg['tasks'][sec['task']]``."""
    return cfg["tasks"][sec["task"]]


def config_slice(cfg: dict, experiment_name: str, shared: Iterable[str] = ("seed",)) -> dict:
    """The part of the config one experiment depends on: the ``shared`` top-level entries,
    its task's section and ``experiments.<experiment_name>``. Used as Snakemake ``params``
    (a change to any of these, and to nothing else, reruns the rule)."""
    sec = section(cfg, experiment_name)
    out = {k: copy.deepcopy(cfg[k]) for k in shared if k in cfg}
    out["tasks"] = {sec["task"]: copy.deepcopy(task_config(cfg, sec))}
    out["experiments"] = {experiment_name: copy.deepcopy(sec)}
    return out
