# Shared helpers for every rule file. Included first by the Snakefile.
import json
import sys
from pathlib import Path

REPO = Path(workflow.basedir).resolve()
SRC = REPO / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from metagrad.config import (  # noqa: E402
    ConfigError,
    available_profiles,
    canonical_json,
    config_hash,
    config_slice,
    load_config,
    validate_config,
)

# Python of this Snakemake process (the project's virtual environment); jobs use the checkout's src/.
PYTHON = sys.executable
# Rule commands call the installed entry point `metagrad` from PATH (on a cluster: the venv on
# the shared file system, on every node), not this host's interpreter path. When Snakemake runs
# from a venv that is not activated, that venv's bin/ is put on PATH (jobs inherit it).
import os as _os
import shutil as _shutil

if _shutil.which("metagrad") is None and (Path(sys.executable).parent / "metagrad").exists():
    _os.environ["PATH"] = f"{Path(sys.executable).parent}{_os.pathsep}{_os.environ.get('PATH', '')}"
CLI = f'PYTHONPATH="{SRC}${{PYTHONPATH:+:$PYTHONPATH}}" metagrad --root "{REPO}"'


def _fail(err):
    """Stop with the one-line config error (no traceback), before any job runs."""
    sys.stderr.write(f"ConfigError: {err}\n")
    sys.stderr.flush()
    raise SystemExit(1)


PROFILE = str(config.get("profile", "default"))
try:
    _ACTIVE = load_config(PROFILE, root=REPO)
except ConfigError as err:
    _fail(err)


def profile_config_path(profile):
    return str(REPO / "workflow" / "config" / f"{profile}.yaml")


def check_active_config(cfg):
    """The merged Snakemake config (profile file + --config) must equal the validated file."""
    try:
        validate_config(dict(cfg), PROFILE, source=f"--config / workflow/config/{PROFILE}.yaml")
    except ConfigError as err:
        _fail(err)
    if canonical_json(dict(cfg)) != canonical_json(_ACTIVE):
        changed = sorted(k for k in set(cfg) | set(_ACTIVE) if cfg.get(k) != _ACTIVE.get(k))
        _fail(ConfigError(
            f"--config may only set 'profile' (got changes to {', '.join(changed)}); "
            f"edit workflow/config/{PROFILE}.yaml or add a new profile file instead"
        ))


_CONFIG_CACHE = {PROFILE: _ACTIVE}


def profile_cfg(profile):
    """Validated config of any profile (the active one, or one named by a target's wildcard)."""
    if profile not in _CONFIG_CACHE:
        try:
            _CONFIG_CACHE[profile] = load_config(profile, root=REPO)
        except ConfigError as err:
            _fail(err)
    return _CONFIG_CACHE[profile]


def exp_params(profile, experiment):
    """Canonical JSON of the config slice an experiment depends on (seed + its task's section +
    its own section): use it as a rule's params, so changing any of these values (and nothing
    else) reruns the rule."""
    try:
        return canonical_json(config_slice(profile_cfg(profile), experiment))
    except ConfigError as err:
        _fail(err)


def _rel(p):
    p = Path(p)
    try:
        return str(p.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def code_files(*parts):
    """Source files (relative to src/metagrad) as rule inputs: files, or folders (all *.py inside).
    Missing files/folders are skipped, so rules can name modules that do not exist yet."""
    out = []
    base = SRC / "metagrad"
    for part in parts:
        p = base / part
        if p.is_dir():
            out += sorted(str(f) for f in p.rglob("*.py") if "__pycache__" not in f.parts)
        elif p.is_file():
            out.append(str(p))
    return [_rel(f) for f in out]


# Code every experiment's numbers depend on, named file by file (never a folder), so that a new
# task's or estimator's files rerun nothing else. Plumbing (cli.py, io.py, provenance.py) is left
# out on purpose: changing how files are written must not rerun days of compute.
CORE_CODE = ("lifetime.py", "names.py", "problems/base.py", "learners/dice.py",
             "estimators/base.py", "estimators/mg.py", "estimators/fd.py",
             "estimators/probes.py", "experiments/common.py")
# a task's own files: metagrad.problems.<task> and what it builds on
TASK_CODE = {
    "bandit": ("envs/bandit.py", "learners/softmax_reinforce.py", "problems/bandit.py"),
    "maze": ("envs/maze.py", "learners/actor_critic.py", "problems/maze.py",
             "estimators/exact.py"),   # problems/maze.py scripts its enumeration on exact.py
    "brax_schedule": ("envs/brax_tasks.py", "learners/gaussian_policy.py",
                      "problems/brax_schedule.py", "problems/history_baseline.py"),
    # ours: short-horizon MAML builds on the Brax schedule problem's collection and learner
    "brax_maml": ("envs/brax_tasks.py", "learners/gaussian_policy.py",
                  "problems/brax_schedule.py", "problems/brax_maml.py"),
}
# the runner of each experiment kind (metagrad.experiments.KINDS)
KIND_CODE = {
    "landscape": ("experiments/landscape.py",),
    "frontier": ("experiments/frontier.py", "estimators/es.py"),   # ES: only these two kinds
    "named_training": ("experiments/meta_training.py",),
    "truncated_training": ("experiments/meta_training.py",),
    "maze_gradients": ("experiments/maze_gradients.py",),
    "brax_training": ("experiments/brax_training.py", "estimators/es.py"),
    # figure 10: persistent agents, online MG, online ES / PES (problems/maze_persistent.py
    # builds on the maze task's files, which every maze experiment already depends on)
    "maze_training": ("experiments/maze_training.py", "experiments/maze_training_checks.py",
                      "problems/maze_persistent.py", "estimators/online_mg.py",
                      "estimators/pes.py"),
    "brax_maml": ("experiments/brax_maml.py",),
}


def experiment_code(profile, experiment):
    """Code inputs of one experiment rule: the core, its task's files and its kind's runner."""
    sec = profile_cfg(profile)["experiments"][experiment]
    return code_files(*CORE_CODE, *TASK_CODE[sec["task"]], *KIND_CODE[sec["kind"]])


def figure_code(name, extra=()):
    """A figure module plus the shared drawing code and vocabulary every figure uses."""
    return code_files(f"figures/{name}.py", "figures/__init__.py", "figures/style.py",
                      "figures/frontier_plot.py", "figures/captions.py", "figures/inputs.py",
                      "names.py", *extra)


def figure_outputs(stem):
    """The four files the `metagrad figure` command writes for figures/{profile}/<stem>.pdf."""
    base = f"figures/{{profile}}/{stem}"
    return {
        "pdf": f"{base}.pdf",
        "png": f"{base}.png",
        "caption": f"{base}.caption.txt",
        "provenance": f"{base}.provenance.json",
    }


def table_outputs(experiment, stem=None):
    stem = stem or experiment
    base = f"results/{{profile}}/{experiment}/{stem}"
    return {"table": f"{base}.parquet", "provenance": f"{base}.provenance.json"}


_TARGETS = []


def register_targets(*patterns):
    """Add final targets (with a {profile} placeholder) to `rule all`."""
    _TARGETS.extend(patterns)


def all_targets(profile):
    return [p.format(profile=profile) for p in _TARGETS]
