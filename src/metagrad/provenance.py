"""Provenance records written as JSON next to every result table (``<stem>.provenance.json``).

A record holds: what ran (experiment/figure, Snakemake rule), the resolved config and its slice
with their hashes, seeds, the code version (git commit and dirty flag of the checkout the package
was imported from), package versions, JAX backend and devices, host, start/end times and wall
seconds. See :data:`REQUIRED_FIELDS`.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

from metagrad import __version__
from metagrad.config import config_hash
from metagrad.io import atomic_write_json

__all__ = ["REQUIRED_FIELDS", "PACKAGES", "git_info", "package_versions", "jax_info", "now_iso",
           "make_record", "write_record", "provenance_path"]

PACKAGES = ("jax", "jaxlib", "flax", "optax", "brax", "evosax", "numpy", "pandas", "pyarrow",
            "seaborn", "matplotlib", "snakemake")

REQUIRED_FIELDS = (
    "kind", "name", "rule", "profile", "config", "config_hash", "section", "section_hash",
    "seed", "seeds", "git_commit", "git_dirty", "metagrad_version", "python", "packages",
    "jax_backend", "jax_devices", "hostname", "platform", "start_time", "end_time",
    "wall_seconds", "command", "outputs", "inputs",
)


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def _source_root() -> Path:
    return Path(__file__).resolve().parents[2]


CODE_PATHS = ("src", "workflow", "Snakefile", "pyproject.toml", "benchmarks", "scripts")


def git_info(path: str | os.PathLike | None = None) -> dict:
    """``{'git_commit': sha or None, 'git_dirty': bool or None}`` for the checkout at ``path``
    (default: the one this package was imported from)."""
    cwd = str(path or _source_root())

    def git(*args: str) -> str | None:
        try:
            res = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        return res.stdout.strip() if res.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    # the code and configuration only: a regeneration rewrites the tracked results/ and
    # figures/ it is producing, which must not mark its own provenance dirty
    status = git("status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS)
    if commit is None and git("rev-parse", "--git-dir") is not None:
        commit = "(no commits yet)"
    return {"git_commit": commit, "git_dirty": None if status is None else bool(status)}


def package_versions(names: Iterable[str] = PACKAGES) -> dict:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def jax_info(import_jax: bool = True) -> dict:
    """JAX default backend and device list. With ``import_jax=False`` only report them if JAX is
    already imported (figures should not pay for starting JAX)."""
    if not import_jax and "jax" not in sys.modules:
        return {"jax_backend": None, "jax_devices": []}
    try:
        import jax

        return {"jax_backend": jax.default_backend(), "jax_devices": [str(d) for d in jax.devices()]}
    except Exception as err:  # pragma: no cover - broken accelerator setups
        return {"jax_backend": f"unavailable: {err}", "jax_devices": []}


def make_record(
    *,
    kind: str,
    name: str,
    cfg: dict,
    section: dict | None,
    start_time: str,
    end_time: str,
    wall_seconds: float,
    seeds: list | None = None,
    outputs: Iterable[str] = (),
    inputs: Iterable[str] = (),
    import_jax: bool = True,
    extra: dict | None = None,
) -> dict:
    """Assemble a provenance record (a JSON-able dict with every field in REQUIRED_FIELDS)."""
    rec: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "rule": os.environ.get("METAGRAD_RULE") or None,
        "profile": cfg.get("profile"),
        "config": cfg,
        "config_hash": config_hash(cfg),
        "section": section,
        "section_hash": config_hash(section) if section is not None else None,
        "seed": cfg.get("seed"),
        "seeds": seeds,
        **git_info(),
        "metagrad_version": __version__,
        "python": platform.python_version(),
        "packages": package_versions(),
        **jax_info(import_jax),
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "start_time": start_time,
        "end_time": end_time,
        "wall_seconds": round(float(wall_seconds), 3),
        "command": list(sys.argv),
        "outputs": [str(p) for p in outputs],
        "inputs": [str(p) for p in inputs],
    }
    if extra:
        rec.update(extra)
    return rec


def provenance_path(output: str | os.PathLike) -> Path:
    """``results/x/landscape.parquet`` -> ``results/x/landscape.provenance.json``."""
    p = Path(output)
    return p.with_name(p.stem + ".provenance.json")


def write_record(path: str | os.PathLike, record: dict) -> Path:
    return atomic_write_json(path, record)
