"""The Snakemake workflow: DAG per profile, config errors before any job, an end-to-end slice.

Snakemake runs as ``sys.executable -m snakemake`` (the project's environment). End-to-end runs
happen in a temporary copy of the workflow (Snakefile, workflow/, src/), so nothing in the
repository's results/ or figures/ is touched.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from fake_modules import FAKE_LANDSCAPE_SOURCE

REPO = Path(__file__).resolve().parents[1]
PROFILES = ("smoke", "default", "paper")
FIG1 = "figures/smoke/fig1_landscape"
TABLE1 = "results/smoke/landscape/landscape"


def snakemake(*args, cwd=REPO, timeout=600):
    env = dict(os.environ, MPLBACKEND="Agg", JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", "cpu"))
    env.pop("METAGRAD_ROOT", None)
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def copy_workflow(dest: Path) -> Path:
    shutil.copy2(REPO / "Snakefile", dest / "Snakefile")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(REPO / "workflow", dest / "workflow", ignore=ignore)
    shutil.copytree(REPO / "src", dest / "src", ignore=ignore)
    return dest


def real_landscape_available() -> bool:
    try:
        return importlib.util.find_spec("metagrad.experiments.landscape") is not None
    except ImportError:
        return False


@pytest.mark.parametrize("profile", PROFILES)
def test_dry_run_lists_dag(profile):
    """The whole DAG (forced, whatever is already built) has one target per bandit figure."""
    res = snakemake("-n", "--forceall", "--profile", f"workflow/profiles/{profile}")
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout + res.stderr
    for figure in ("fig1_landscape", "fig2_trajectories", "fig3_learning_curves",
                   "fig4_frontier_bias", "fig5_frontier_cosine", "fig6_truncated_sgd",
                   "fig7_truncated_adam", "fig8_coefficient_vs_discount"):
        assert f"figures/{profile}/{figure}.pdf" in out
    # the paper profile fans its experiments out into shards (workflow/shards.yaml)
    experiments = (("experiment_shard", "experiment_gather") if profile == "paper"
                   else ("landscape", "frontier_experiment", "training_experiment"))
    for rule in (*experiments, "audit", "report"):
        assert rule in out


def test_one_figure_target_builds_only_what_it_needs():
    res = snakemake("-n", "--cores", "1", "figures/default/fig1_landscape.pdf")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "fig1_landscape" in res.stdout and "rule all" not in res.stdout


def _write_bad_profile(root: Path, name: str, mutate):
    cfg = yaml.safe_load((root / "workflow/config/smoke.yaml").read_text())
    cfg["profile"] = name
    mutate(cfg)
    (root / f"workflow/config/{name}.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c["experiments"]["landscape"].update(grid_sise=c["experiments"]["landscape"].pop("grid_size")),
         "unknown key experiments.landscape.grid_sise; allowed keys at experiments.landscape:"),
        (lambda c: c["tasks"]["bandit"].update(reward_noise_std=-1.0),
         "tasks.bandit.reward_noise_std = -1.0 is out of range; allowed: a number > 0"),
    ],
)
def test_bad_profile_fails_before_any_job(tmp_path, mutate, expected):
    root = copy_workflow(tmp_path)
    _write_bad_profile(root, "broken", mutate)
    res = snakemake("--cores", "1", "--config", "profile=broken", cwd=root)
    assert res.returncode != 0
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("ConfigError:")]
    assert len(lines) == 1 and expected in lines[0], res.stderr[-2000:]
    assert not (root / "results").exists() and not (root / "figures").exists()
    assert "Job stats" not in res.stdout + res.stderr


def test_unknown_profile_fails(tmp_path):
    res = snakemake("-n", "--config", "profile=nosuch")
    assert res.returncode != 0
    assert "ConfigError: unknown profile 'nosuch'; available profiles: default, paper, smoke" in res.stderr


def _check_outputs(root: Path):
    for p in (f"{TABLE1}.parquet", f"{TABLE1}.provenance.json", f"{FIG1}.pdf", f"{FIG1}.png",
              f"{FIG1}.caption.txt", f"{FIG1}.provenance.json"):
        assert (root / p).is_file() and (root / p).stat().st_size > 0, p


def _run_fig1(root: Path):
    res = snakemake("--profile", "workflow/profiles/smoke", "--cores", "2", f"{FIG1}.pdf", cwd=root)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    return res


def _nothing_to_do(res):
    return "Nothing to be done" in res.stdout + res.stderr


def test_end_to_end_smoke_with_fake_experiment(tmp_path):
    """Plumbing only: a throwaway landscape experiment inside the temporary copy."""
    root = copy_workflow(tmp_path)
    exp = root / "src/metagrad/experiments"
    exp.mkdir(parents=True, exist_ok=True)
    (exp / "__init__.py").touch()
    (exp / "landscape.py").write_text(FAKE_LANDSCAPE_SOURCE)

    _run_fig1(root)
    _check_outputs(root)
    assert _nothing_to_do(_run_fig1(root))

    # a figure-code change reruns the figure only
    time.sleep(1.1)
    with open(root / "src/metagrad/figures/landscape.py", "a") as fh:
        fh.write("\n# touched\n")
    res = snakemake("-n", "--profile", "workflow/profiles/smoke", f"{FIG1}.pdf", cwd=root)
    assert "fig1_landscape" in res.stdout and "rule landscape:" not in res.stdout, res.stdout

    # a config change reruns the experiment (params trigger) ...
    cfg_path = root / "workflow/config/smoke.yaml"
    good = cfg_path.read_text()
    cfg_path.write_text(good.replace("num_bandits: 64", "num_bandits: 65"))
    res = snakemake("-n", "--profile", "workflow/profiles/smoke", f"{FIG1}.pdf", cwd=root)
    assert "rule landscape:" in res.stdout, res.stdout

    # ... and a bad config fails before any job, deleting nothing already computed
    stamp = {p: p.stat().st_mtime_ns for p in (root / "results").rglob("*") if p.is_file()}
    cfg_path.write_text(good.replace("grid_size: 6", "grid_size: 1"))
    res = snakemake("--profile", "workflow/profiles/smoke", f"{FIG1}.pdf", cwd=root)
    assert res.returncode != 0
    assert "ConfigError: workflow/config/smoke.yaml: experiments.landscape.grid_size = 1 is out of range" in res.stderr
    assert {p: p.stat().st_mtime_ns for p in (root / "results").rglob("*") if p.is_file()} == stamp


@pytest.mark.skipif(not real_landscape_available(),
                    reason="metagrad.experiments.landscape is not written yet (estimator-core issue)")
def test_end_to_end_smoke_real_experiment(tmp_path):
    root = copy_workflow(tmp_path)
    _run_fig1(root)
    _check_outputs(root)
    assert _nothing_to_do(_run_fig1(root))


def _mark_everything_built(root: Path, profile: str) -> None:
    """Placeholder outputs for every job, recorded as up to date (``--touch``)."""
    res = snakemake("--profile", f"workflow/profiles/{profile}", "--summary", cwd=root)
    assert res.returncode == 0, res.stderr[-2000:]
    for line in res.stdout.splitlines()[1:]:
        path = root / line.split("\t")[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    res = snakemake("--profile", f"workflow/profiles/{profile}", "--touch", "--cores", "1",
                    cwd=root)
    assert res.returncode == 0, res.stderr[-2000:]


def test_a_new_tasks_files_rerun_no_bandit_rule(tmp_path):
    """Code inputs are named file by file: adding a task's env, learner, problem, estimator and
    experiment files leaves every bandit result up to date, while editing a bandit file reruns
    the bandit experiments (the check has teeth)."""
    root = copy_workflow(tmp_path)
    _mark_everything_built(root, "smoke")
    package = root / "src" / "metagrad"
    for new in ("envs/brax_task.py", "learners/brax_policy.py", "problems/brax_task.py",
                "estimators/brax_estimator.py", "experiments/brax_learning.py",
                "figures/brax_learning.py"):
        (package / new).write_text('"""A new task."""\n')
    res = snakemake("--profile", "workflow/profiles/smoke", "-n", cwd=root)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "Nothing to be done" in res.stdout + res.stderr
    with open(package / "problems" / "bandit.py", "a") as f:
        f.write("# an edit\n")
    res = snakemake("--profile", "workflow/profiles/smoke", "-n", cwd=root)
    out = res.stdout + res.stderr
    for rule in ("landscape", "frontier_experiment", "training_experiment"):
        assert f"\n{rule} " in out, rule
