"""Command line used by the Snakemake rules (and by hand).

    metagrad validate [--profile P]
    metagrad experiment NAME --profile P --out results/P/NAME/NAME.parquet
    metagrad figure NAME --profile P --tables T1.parquet [T2 ...] --out figures/P/FIG.pdf [--section EXP]
    metagrad shard NAME --profile P --shard S --out results/P/NAME/shards/S.parquet
    metagrad gather NAME --profile P --shards S1.parquet [S2 ...] --out results/P/NAME/NAME.parquet

``experiment`` validates the profile and calls the runner of the section's ``kind``
(``metagrad.experiments.KINDS[kind](cfg, section, NAME, progress, checkpoint_dir) ->
pandas.DataFrame``; ``cfg``: the whole validated profile, ``section``:
``cfg['experiments'][NAME]``); it writes the table atomically and a provenance record next to
it (``<stem>.provenance.json``).

``figure`` imports ``metagrad.figures.<NAME>`` and calls
``draw(tables, cfg, section) -> (matplotlib Figure, caption)`` where ``tables`` maps each table
file's stem to its DataFrame and ``section`` is ``cfg['experiments'][--section or NAME]`` (or
``{}`` when there is no such experiment); it writes ``FIG.pdf``, ``FIG.png``,
``FIG.caption.txt`` and ``FIG.provenance.json`` atomically.

Exit status: 0 success, 2 bad configuration or usage (one line on stderr), 1 other failures.
"""

from __future__ import annotations

import argparse
import shutil
import importlib
import pkgutil
import sys
import time
from pathlib import Path

from metagrad.config import ConfigError, available_profiles, config_dir, find_root, load_config, section

__all__ = ["main", "build_parser"]


def _available(package: str) -> list[str]:
    try:
        pkg = importlib.import_module(package)
    except ImportError:
        return []
    return sorted(m.name for m in pkgutil.iter_modules(getattr(pkg, "__path__", [])) if not m.name.startswith("_"))


def _import(package: str, name: str):
    full = f"{package}.{name}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as err:
        if err.name in (full, package):
            avail = ", ".join(_available(package)) or "(none yet)"
            raise ConfigError(f"unknown {package.rsplit('.', 1)[-1][:-1]} {name!r}; available: {avail}") from None
        raise


def _root(args) -> Path | None:
    return Path(args.root) if getattr(args, "root", None) else None


def cmd_validate(args) -> int:
    root = _root(args) or find_root()
    profiles = [args.profile] if args.profile else available_profiles(config_dir(root))
    from metagrad.config import config_hash

    for p in profiles:
        cfg = load_config(p, root=root)
        print(f"profile {p}: OK (config hash {config_hash(cfg)}; experiments: {', '.join(cfg['experiments'])})")
    return 0


def _seeds_of(df, cfg: dict) -> list | None:
    seeds = df.attrs.get("seeds") if hasattr(df, "attrs") else None
    if seeds is None and "seed" in getattr(df, "columns", ()):
        seeds = sorted(int(s) for s in df["seed"].unique())
    return list(seeds) if seeds is not None else None


def cmd_experiment(args) -> int:
    from metagrad import provenance as prov
    from metagrad.io import write_table
    from metagrad.progress import Progress

    cfg = load_config(args.profile, root=_root(args))
    sec = section(cfg, args.name)
    out = Path(args.out)
    from metagrad.experiments import KINDS

    import pandas as pd

    start_iso, t0 = prov.now_iso(), time.perf_counter()
    progress = Progress(desc=f"{args.profile}/{args.name}")
    checkpoint_dir = out.parent / "checkpoints" / out.stem
    df = KINDS[sec["kind"]](cfg, sec, args.name, progress, checkpoint_dir=checkpoint_dir)
    progress.close()
    wall = time.perf_counter() - t0
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"experiment kind {sec['kind']!r} returned {type(df).__name__}, expected a pandas DataFrame")
    if df.empty:
        raise ValueError(f"experiment kind {sec['kind']!r} returned an empty table")
    pj = prov.provenance_path(out)
    record = prov.make_record(
        kind="experiment", name=args.name, cfg=cfg, section=sec, start_time=start_iso,
        end_time=prov.now_iso(), wall_seconds=wall, seeds=_seeds_of(df, cfg),
        outputs=[str(out), str(pj)], import_jax=True,
        extra={**({"rule": args.rule} if args.rule else {}), "num_rows": int(len(df)), "columns": [str(c) for c in df.columns]},
    )
    write_table(df, out)
    prov.write_record(pj, record)
    if checkpoint_dir.exists():  # the table is safely written: partial results are obsolete
        shutil.rmtree(checkpoint_dir)
    if checkpoint_dir.parent.is_dir() and not any(checkpoint_dir.parent.iterdir()):
        checkpoint_dir.parent.rmdir()
    print(f"[{args.profile}/{args.name}] wrote {out} ({len(df)} rows) in {wall:.1f} s", file=sys.stderr)
    return 0


def _slurm_job() -> dict:
    """Where a cluster job ran (empty outside SLURM): recorded in shard provenance."""
    import os

    names = {"SLURM_JOB_ID": "job_id", "SLURMD_NODENAME": "node",
             "CUDA_VISIBLE_DEVICES": "cuda_visible_devices"}
    found = {key: os.environ[var] for var, key in names.items() if var in os.environ}
    return {"slurm": found} if "job_id" in found else {}


def cmd_shard(args) -> int:
    """One shard of an experiment (``metagrad.experiments.shards``): its rows + provenance."""
    from metagrad import provenance as prov
    from metagrad.experiments import shards
    from metagrad.io import write_table
    from metagrad.progress import Progress
    import os

    cfg = load_config(args.profile, root=_root(args))
    sec = section(cfg, args.name)
    out = Path(args.out)
    if args.shard in os.environ.get("METAGRAD_TEST_FAIL_SHARD", "").split(","):
        raise RuntimeError(f"shard {args.shard} failed on purpose (METAGRAD_TEST_FAIL_SHARD)")
    start_iso, t0 = prov.now_iso(), time.perf_counter()
    progress = Progress(desc=f"{args.profile}/{args.name}/{args.shard}")
    checkpoint_dir = out.parent / "checkpoints" / out.stem
    try:
        df = shards.run_shard(cfg, args.name, sec, args.shard, progress, checkpoint_dir)
    except shards.ShardError as err:
        raise ConfigError(str(err)) from None
    progress.close()
    wall = time.perf_counter() - t0
    pj = prov.provenance_path(out)
    record = prov.make_record(
        kind="experiment_shard", name=args.name, cfg=cfg, section=sec, start_time=start_iso,
        end_time=prov.now_iso(), wall_seconds=wall, seeds=_seeds_of(df, cfg),
        outputs=[str(out), str(pj)], import_jax=True,
        extra={**({"rule": args.rule} if args.rule else {}), "shard": args.shard,
               "num_rows": int(len(df)), **_slurm_job()},
    )
    write_table(df, out)
    prov.write_record(pj, record)
    if checkpoint_dir.exists():
        shutil.rmtree(checkpoint_dir)
    if checkpoint_dir.parent.is_dir() and not any(checkpoint_dir.parent.iterdir()):
        checkpoint_dir.parent.rmdir()
    print(f"[{args.profile}/{args.name}/{args.shard}] wrote {out} ({len(df)} rows) in {wall:.1f} s",
          file=sys.stderr)
    return 0


def cmd_gather(args) -> int:
    """The experiment's table from its shards, identical to an unsharded run's, + provenance
    (listing each shard's provenance record)."""
    import json

    from metagrad import provenance as prov
    from metagrad.experiments import shards
    from metagrad.io import read_table, write_table

    cfg = load_config(args.profile, root=_root(args))
    sec = section(cfg, args.name)
    out = Path(args.out)
    start_iso, t0 = prov.now_iso(), time.perf_counter()
    try:
        df = shards.gather(args.name, sec, [read_table(t) for t in args.shards])
    except shards.ShardError as err:
        raise ConfigError(str(err)) from None
    records = []
    for t in args.shards:
        pj = prov.provenance_path(Path(t))
        records.append(json.loads(pj.read_text()) if pj.exists() else {"outputs": [t]})
    pj = prov.provenance_path(out)
    record = prov.make_record(
        kind="experiment", name=args.name, cfg=cfg, section=sec, start_time=start_iso,
        end_time=prov.now_iso(), wall_seconds=sum(float(r.get("wall_seconds", 0.0)) for r in records),
        seeds=_seeds_of(df, cfg), outputs=[str(out), str(pj)], inputs=list(args.shards),
        import_jax=False,
        extra={**({"rule": args.rule} if args.rule else {}), "num_rows": int(len(df)),
               "columns": [str(c) for c in df.columns], "gather_seconds": time.perf_counter() - t0,
               "shards": records},
    )
    write_table(df, out)
    prov.write_record(pj, record)
    print(f"[{args.profile}/{args.name}] gathered {len(args.shards)} shards into {out} "
          f"({len(df)} rows)", file=sys.stderr)
    return 0


def cmd_figure(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from metagrad import provenance as prov
    from metagrad.io import atomic_path, atomic_write_text, read_table

    cfg = load_config(args.profile, root=_root(args))
    sec_name = args.section or args.name
    sec = (cfg.get("experiments") or {}).get(sec_name, {})
    mod = _import("metagrad.figures", args.name)
    if not hasattr(mod, "draw"):
        raise ConfigError(f"metagrad.figures.{args.name} has no draw(tables, cfg, section) function")
    tables = {}
    for t in args.tables:
        stem = Path(t).stem
        if stem in tables:
            raise ConfigError(f"two tables share the stem {stem!r}; table stems must be unique")
        tables[stem] = read_table(t)

    start_iso, t0 = prov.now_iso(), time.perf_counter()
    fig, caption = mod.draw(tables, cfg, sec)
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise ConfigError(f"--out must end in .pdf, got {out}")
    png = out.with_suffix(".png")
    cap = out.with_name(out.stem + ".caption.txt")
    pj = prov.provenance_path(out)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="pdf", bbox_inches="tight", metadata={"CreationDate": None})
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png", dpi=200, bbox_inches="tight")
    plt.close(fig)
    atomic_write_text(cap, caption.strip() + "\n")
    record = prov.make_record(
        kind="figure", name=args.name, cfg=cfg, section=sec, start_time=start_iso,
        end_time=prov.now_iso(), wall_seconds=time.perf_counter() - t0,
        outputs=[str(out), str(png), str(cap), str(pj)], inputs=list(args.tables), import_jax=False,
        extra={**({"rule": args.rule} if args.rule else {}), "caption": caption.strip()},
    )
    prov.write_record(pj, record)
    print(f"[{args.profile}/{args.name}] wrote {out}, {png.name}, {cap.name}", file=sys.stderr)
    return 0


def cmd_summarize(args) -> int:
    """Derived tables: ``metagrad.summaries.NAME.summarize(tables, cfg, section) -> {stem: df}``."""
    from metagrad import provenance as prov
    from metagrad.io import read_table, write_table

    cfg = load_config(args.profile, root=_root(args))
    sec_name = args.section or args.name
    sec = (cfg.get("experiments") or {}).get(sec_name, {})
    mod = _import("metagrad.summaries", args.name)
    tables = {Path(t).stem: read_table(t) for t in args.tables}
    start_iso, t0 = prov.now_iso(), time.perf_counter()
    outputs = mod.summarize(tables, cfg, sec)
    out_dir = Path(args.out_dir)
    written = []
    for stem, df in outputs.items():
        path = out_dir / f"{stem}.parquet"
        write_table(df, path)
        written.append(str(path))
    for path in written:
        record = prov.make_record(
            kind="summary", name=args.name, cfg=cfg, section=sec, start_time=start_iso,
            end_time=prov.now_iso(), wall_seconds=time.perf_counter() - t0, outputs=written,
            inputs=list(args.tables), import_jax=False,
            extra={**({"rule": args.rule} if args.rule else {})})
        prov.write_record(prov.provenance_path(Path(path)), record)
    print(f"[{args.profile}/{args.name}] wrote {', '.join(written)}", file=sys.stderr)
    return 0


def cmd_table(args) -> int:
    from metagrad.tables import make_table

    cfg = load_config(args.profile, root=_root(args))
    paths, rows = make_table(args.name, cfg, args.input, args.out_dir, rule=args.rule)
    print(f"[{args.profile}/{args.name}] wrote {', '.join(p.name for p in paths)} ({rows} rows)", file=sys.stderr)
    return 0


def _audit_profile(args) -> tuple[Path, dict, Path]:
    """(root, profile config, results folder) of ``metagrad audit run`` / ``report``."""
    root = _root(args) or find_root()
    cfg = load_config(args.profile, root=root)
    return root, cfg, Path(args.results) if args.results else root / "results" / args.profile


def cmd_audit_run(args) -> int:
    """Claims audit; exit status 0 whatever the verdicts (they are results)."""
    from metagrad.audit.run import run_audit

    _, cfg, results = _audit_profile(args)
    if not results.is_dir():
        print(f"error: no results folder {results}", file=sys.stderr)
        return 2
    df = run_audit(results, cfg, out_dir=args.out)
    if not args.quiet:
        import pandas as pd

        with pd.option_context("display.width", 200, "display.max_colwidth", 60):
            print(df[["claim", "figure", "verdict", "statistic", "value", "ci_low", "ci_high"]].to_string(index=False))
        print(f"wrote {Path(args.out) if args.out else results / 'audit'}/claims.csv and summary.md")
    return 0


def cmd_audit_compare(args) -> int:
    """Exit status 0 identical (consistent), 1 different, 2 not a folder."""
    from metagrad.audit.compare import compare_folders, comparison_lines

    for f in (args.a, args.b):
        if not Path(f).is_dir():
            print(f"error: {f} is not a folder", file=sys.stderr)
            return 2
    res = compare_folders(args.a, args.b, statistical=args.statistical, k=args.k, show=args.show)
    print("\n".join(comparison_lines(res, args.a, args.b, args.statistical, args.k)))
    return 0 if res["consistent"] else 1


def cmd_audit_report(args) -> int:
    from metagrad.audit.report import build_report

    root, cfg, results = _audit_profile(args)
    figures = Path(args.figures) if args.figures else root / "figures" / args.profile
    out = Path(args.out) if args.out else results / "report" / "index.html"
    build_report(args.profile, results, figures, out, pngs=args.png, cfg=cfg)
    print(f"wrote {out}")
    return 0


def _add_root(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: an absent sub-command --root must not override ``metagrad --root R``
    p.add_argument("--root", default=argparse.SUPPRESS, help="repository root (default: found from the working directory)")


def _add_audit_parsers(sub) -> None:
    audit = sub.add_parser("audit", help="claims audit (run), compare two result folders (compare), HTML report (report)")
    cmds = audit.add_subparsers(dest="audit_command", required=True)

    p = cmds.add_parser("run", help="test every claim on a results folder: claims.csv, summary.md")
    p.add_argument("--profile", required=True)
    p.add_argument("--results", help="results folder (default results/<profile> under the root)")
    p.add_argument("--out", help="output folder (default <results>/audit)")
    p.add_argument("--quiet", action="store_true")
    _add_root(p)
    p.set_defaults(func=cmd_audit_run)

    p = cmds.add_parser("compare", help="compare two result folders table by table")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--statistical", action="store_true",
                   help="compare per-setting means within k combined standard errors (other machine)")
    p.add_argument("--k", type=float, default=4.0, help="tolerance in combined standard errors (default 4)")
    p.add_argument("--show", type=int, default=5, help="differences shown per table")
    p.set_defaults(func=cmd_audit_compare)

    p = cmds.add_parser("report", help="self-contained HTML report: figures, captions, claims, provenance")
    p.add_argument("--profile", required=True)
    p.add_argument("--results", help="results folder (default results/<profile>)")
    p.add_argument("--figures", help="figures folder (default figures/<profile>)")
    p.add_argument("--out", help="HTML file (default <results>/report/index.html)")
    p.add_argument("--png", nargs="*", help="figure PNGs in order (default: every PNG of --figures)")
    _add_root(p)
    p.set_defaults(func=cmd_audit_report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="metagrad", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", help="repository root holding workflow/config (default: found from the working directory)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="validate one profile (or all) against the schema")
    p.add_argument("--profile", help="profile name (default: every workflow/config/*.yaml)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("experiment", help="run metagrad.experiments.NAME and write its table + provenance")
    p.add_argument("name")
    p.add_argument("--profile", required=True)
    p.add_argument("--out", required=True, help="table path (.parquet or .csv)")
    p.add_argument("--rule", default=None, help="Snakemake rule name (recorded in the provenance)")
    p.set_defaults(func=cmd_experiment)

    p = sub.add_parser("shard", help="compute one shard of experiment NAME (cluster fan-out)")
    p.add_argument("name")
    p.add_argument("--profile", required=True)
    p.add_argument("--shard", required=True, help="shard name (see metagrad.experiments.shards)")
    p.add_argument("--out", required=True, help="shard table path (.parquet or .csv)")
    p.add_argument("--rule", default=None, help="Snakemake rule name (recorded in the provenance)")
    p.set_defaults(func=cmd_shard)

    p = sub.add_parser("gather", help="assemble experiment NAME's table from its shard tables")
    p.add_argument("name")
    p.add_argument("--profile", required=True)
    p.add_argument("--shards", nargs="+", required=True, help="every shard table of the experiment")
    p.add_argument("--out", required=True, help="table path (.parquet or .csv)")
    p.add_argument("--rule", default=None, help="Snakemake rule name (recorded in the provenance)")
    p.set_defaults(func=cmd_gather)

    p = sub.add_parser("figure", help="draw metagrad.figures.NAME from tables")
    p.add_argument("name")
    p.add_argument("--profile", required=True)
    p.add_argument("--tables", nargs="+", required=True, help="input tables; the figure sees them keyed by file stem")
    p.add_argument("--out", required=True, help="figure path ending in .pdf (a .png and .caption.txt are written beside it)")
    p.add_argument("--section", default=None, help="experiment section passed to draw (default: NAME)")
    p.add_argument("--rule", default=None, help="Snakemake rule name (recorded in the provenance)")
    p.set_defaults(func=cmd_figure)

    p = sub.add_parser("summarize", help="derive summary tables with metagrad.summaries.NAME")
    p.add_argument("name")
    p.add_argument("--profile", required=True)
    p.add_argument("--tables", nargs="+", required=True, help="input tables, keyed by file stem")
    p.add_argument("--out-dir", required=True, help="folder for the <stem>.parquet outputs")
    p.add_argument("--section", default=None, help="experiment section (default: NAME)")
    p.add_argument("--rule", default=None, help="Snakemake rule name (recorded in the provenance)")
    p.set_defaults(func=cmd_summarize)

    p = sub.add_parser("table", help="format a summary table as CSV, Markdown and LaTeX")
    p.add_argument("name", help="table name (frontier_L80, frontier_L30, *_final, ...)")
    p.add_argument("--profile", required=True)
    p.add_argument("--input", required=True, help="summary table (.parquet or .csv)")
    p.add_argument("--out-dir", required=True, help="folder for NAME.csv, NAME.md, NAME.tex")
    p.add_argument("--rule", default=None, help="Snakemake rule name (recorded in the provenance)")
    p.set_defaults(func=cmd_table)

    _add_audit_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as err:
        print(f"ConfigError: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
