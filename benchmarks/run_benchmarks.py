#!/usr/bin/env python
"""Throughput, compile time and memory of the bandit meta-gradient estimators.

    .venv/bin/python benchmarks/run_benchmarks.py            # full run, < ~5 min on 2 CPU cores
    .venv/bin/python benchmarks/run_benchmarks.py --quick    # smoke test, < 60 s

Every measurement is one compiled program ``jit(vmap(estimator.estimate))`` over a batch of
``N`` sample keys (``batch_of_samples``) at one ``eta``. It is timed with ``block_until_ready``
after one warm-up call (compile time is reported separately), as the median of a few repeats.
Each row also records the load average of the machine, the process CPU time per wall second
(how many cores XLA used, or how much it was starved by other processes) and XLA's own memory
plan of the compiled program. See ``benchmarks/README.md`` for the definitions.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from metagrad.config import load_config  # noqa: E402

# Sizes come from the default profile (what the workflow runs): the bandit task and the L = 80
# frontier's estimator settings.
_PROFILE = load_config("default", root=ROOT)
BANDIT = {k: v for k, v in _PROFILE["tasks"]["bandit"].items() if k != "action_sampler"}
_FRONTIER = _PROFILE["experiments"]["frontier_L80"]
LIFETIMES_PER_MG_SAMPLE = _FRONTIER["lifetimes_per_sample"]   # one MG sample averages these
ES_SIGMA = _FRONTIER["es_sigma"]
FD_EPSILON = _FRONTIER["fd_epsilon"]
COEFFICIENTS = tuple(_FRONTIER["coefficients"])
ETA = (0.0, 0.0)                     # the benchmark's own choice: one eta point

# The reference (released code of the paper, 2-core CPU, one core per process), L = 80,
# B = 10, K = 30: samples per second PER CORE and lifetimes per sample.
BASELINE_LENGTH = 80
BASELINE = {"mg": (130.0, 2), "fd": (250.0, 5), "es": (580.0, 2)}
TARGET_SPEEDUP = 10.0

RESULTS = ROOT / "benchmarks" / "results"
ESTIMATORS = ("mg_c1", "mg_c1_reverse", "dice", "es", "fd", "frontier")
SAMPLERS = ("gumbel", "inverse_cdf")
# What the workflow profiles use (workflow/config/*.yaml): inverse-CDF action sampling for MG,
# DiCE and ES; Gumbel-max for FD, whose common random numbers it keeps closer.
CONFIGURED_SAMPLER = {name: "gumbel" if name == "fd" else "inverse_cdf" for name in ESTIMATORS}
SCALING_ESTIMATORS = ("mg_c1", "mg_c1_reverse")

COLUMNS = [
    "timestamp", "git_commit", "device", "platform", "num_devices", "cpu_cores", "jax_version",
    "jaxlib_version", "prng_impl", "xla_flags", "group", "estimator", "mode", "action_sampler",
    "num_settings", "lifetimes_per_sample", "lifetime_length", "inner_batch_size", "num_arms",
    "batch_of_samples", "repeats", "median_seconds", "min_seconds", "samples_per_second",
    "samples_per_second_best", "samples_per_cpu_second", "setting_samples_per_second",
    "lifetime_steps_per_second", "inner_steps_per_second", "cpu_utilization", "compile_seconds",
    "xla_temp_mb",
    "xla_argument_mb", "xla_output_mb", "xla_total_mb", "rss_mb", "peak_rss_mb",
    "loadavg_1m", "loadavg_5m", "loadavg_15m", "baseline_samples_per_second",
    "baseline_inner_steps_per_second", "baseline_note", "speedup_samples",
    "speedup_inner_steps", "speedup_per_cpu_second", "meets_10x_target",
    "max_abs_diff_vs_forward", "max_rel_diff_vs_forward",
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: L=30, one batch size, short scaling sweep (< 60 s)")
    parser.add_argument("--out", type=Path, default=None,
                        help="CSV to write (default benchmarks/results/bandit_<platform>.csv)")
    parser.add_argument("--lengths", type=int, nargs="+", default=None,
                        help="lifetime lengths L of the estimator table (default 30 80)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=None,
                        help="vmap batch sizes N at the largest L (default 64 256 1024)")
    parser.add_argument("--other-length-batch-sizes", type=int, nargs="+", default=None,
                        help="vmap batch sizes at the other lengths (default 256)")
    parser.add_argument("--scaling-lengths", type=int, nargs="*", default=None,
                        help="L of the forward/reverse scaling sweep (default 10 20 40 80 160)")
    parser.add_argument("--scaling-batch-size", type=int, default=None,
                        help="vmap batch size of the scaling sweep (default 256)")
    parser.add_argument("--estimators", nargs="+", choices=ESTIMATORS, default=list(ESTIMATORS))
    parser.add_argument("--sampler", choices=("configured",) + SAMPLERS, default="configured",
                        help="action sampler of the table and scaling rows (default: as the "
                             "workflow profiles: inverse_cdf for MG/DiCE/ES, gumbel for FD)")
    parser.add_argument("--compare-samplers", action=argparse.BooleanOptionalAction,
                        default=None, help="also run every estimator with the other sampler "
                        "at the largest L and batch size (default: on, off with --quick)")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls (default 5)")
    parser.add_argument("--max-seconds", type=float, default=None,
                        help="stop repeating (after 3 calls) once this much was timed")
    parser.add_argument("--prng-impl", default=None,
                        help="jax_default_prng_impl (threefry2x32, rbg, ...); default: jax's")
    parser.add_argument("--cpu-devices", type=int, default=1,
                        help="split the sample batch over this many XLA CPU devices")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", type=Path, default=None, metavar="CSV",
                        help="print the README tables of an existing results CSV and exit")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = dict(
        lengths=[30] if quick else [30, 80],
        batch_sizes=[64] if quick else [64, 256, 1024],
        other_length_batch_sizes=[64] if quick else [256],
        scaling_lengths=[10, 30] if quick else [10, 20, 40, 80, 160],
        scaling_batch_size=64 if quick else 256,
        repeats=3 if quick else 5,
        max_seconds=1.0 if quick else 2.5,
        compare_samplers=not quick,
    )
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def schedule_split_step(lifetime_length: int) -> int:
    """The paper's split: floor(L/4) = 7 at L = 30, floor(L/10) = 8 at L = 80."""
    return 7 if lifetime_length == 30 else max(1, lifetime_length // 10)


def frontier_truncations(lifetime_length: int) -> tuple[int, ...]:
    """Spec section 3: {1, 8, 22, 29} at L = 30, {1, 20, 40, 79} at L = 80."""
    if lifetime_length == 30:
        return (1, 8, 22, 29)
    L = lifetime_length
    return tuple(sorted({min(1, L - 1), L // 4, L // 2, L - 1}))


@dataclass
class Case:
    estimator: str
    lifetime_length: int
    batch_of_samples: int
    sampler: str
    groups: set


def build_estimator(name: str, lifetime_length: int, action_sampler: str = "gumbel"):
    """``(estimator, mode, lifetimes_per_sample, baseline_key)`` for one benchmark id."""
    from metagrad.estimators.es import make_es
    from metagrad.estimators.fd import make_fd
    from metagrad.estimators.mg import MGSetting, make_mg
    from metagrad.problems.bandit import make_bandit_problem

    L = lifetime_length
    problem = make_bandit_problem(BANDIT, lifetime_length=L,
                                  schedule_split_step=schedule_split_step(L),
                                  action_sampler=action_sampler)
    untruncated = MGSetting(truncation_length=L - 1, coefficient=1.0)
    dice = MGSetting(truncation_length=L - 1, coefficient=0.0, hessian="dice")
    n = LIFETIMES_PER_MG_SAMPLE
    if name == "mg_c1":
        return make_mg(problem, [untruncated], n, mode="forward"), "forward", n, "mg"
    if name == "mg_c1_reverse":
        return make_mg(problem, [untruncated], n, mode="reverse"), "reverse", n, "mg"
    if name == "dice":
        return make_mg(problem, [dice], n, mode="forward"), "forward", n, None
    if name == "frontier":
        settings = [MGSetting(t, c) for t in frontier_truncations(L) for c in COEFFICIENTS]
        return make_mg(problem, settings + [dice], n, mode="forward"), "forward", n, "mg"
    if name == "es":
        return make_es(problem, [L - 1], sigma=ES_SIGMA), "forward", 2, "es"
    if name == "fd":
        return make_fd(problem, epsilon=FD_EPSILON), "forward", 2 * len(ETA), "fd"
    raise ValueError(f"unknown estimator {name!r}")


def baseline_for(key, lifetime_length, num_settings, inner_batch_size):
    """``(samples/s, inner steps/s, note)`` of the reference at this L, or Nones."""
    if key is None:
        return None, None, "no reference rate"
    rate, lifetimes = BASELINE[key]
    notes = []
    if lifetime_length != BASELINE_LENGTH:
        rate *= BASELINE_LENGTH / lifetime_length
        notes.append(f"reference scaled from L={BASELINE_LENGTH} by {BASELINE_LENGTH}/L "
                     "(linear time, not measured)")
    inner = rate * lifetimes * lifetime_length * inner_batch_size
    if num_settings > 1:
        # The reference compiles one program per setting; each setting-sample costs about
        # one full MG sample (the forward lifetime dominates), so S settings take S times as long.
        rate /= num_settings
        inner /= num_settings
        notes.append(f"reference = MG rate / {num_settings} settings (one program each)")
    else:
        notes.append("issue's per-core reference" if not notes else "")
    return rate, inner, "; ".join(n for n in notes if n)


def device_description(jax) -> tuple[str, str]:
    dev = jax.devices()[0]
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = os.cpu_count()
    if dev.platform == "cpu":
        return f"cpu: {model}, {cores} cores", dev.platform
    return f"{dev.platform}: {dev.device_kind} (host {model}, {cores} cores)", dev.platform


def git_commit() -> str:
    """Short HEAD commit, with ``+dirty`` when src/ differs from it; ``unknown`` outside git."""
    import subprocess

    def git(*command):
        return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True,
                              timeout=30, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "src")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def rss_mb() -> tuple[float, float]:
    """(current RSS, process peak RSS so far) in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # kB on Linux
    current = float("nan")
    try:
        with open("/proc/self/statm") as f:
            current = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        pass
    return current, peak


def measure(jax, jnp, case: Case, args, sharding, context, forward_outputs):
    est, mode, lifetimes, baseline_key = build_estimator(case.estimator, case.lifetime_length,
                                                         case.sampler)
    L, N = case.lifetime_length, case.batch_of_samples
    keys = jax.random.split(jax.random.key(args.seed), N)
    eta = jnp.asarray(ETA, jnp.float32)
    if sharding is not None:
        keys = jax.device_put(keys, sharding[0])
        eta = jax.device_put(eta, sharding[1])
    from metagrad.estimators import sample_grads

    fn = jax.jit(jax.vmap(lambda k, e: sample_grads(est, k, e), in_axes=(0, None)))

    start = time.perf_counter()
    compiled = fn.lower(keys, eta).compile()
    compile_seconds = time.perf_counter() - start
    memory = compiled.memory_analysis()

    out = compiled(keys, eta)                                 # warm-up
    out.block_until_ready()
    out = np.asarray(out)
    if not np.all(np.isfinite(out)):
        raise FloatingPointError(f"{case.estimator} L={L} N={N}: non-finite estimates")

    walls, cpus = [], []
    while len(walls) < args.repeats and (len(walls) < min(3, args.repeats)
                                         or sum(walls) < args.max_seconds):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        compiled(keys, eta).block_until_ready()
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
    load = os.getloadavg()
    current_rss, peak_rss = rss_mb()

    median = statistics.median(walls)
    samples = N / median
    lifetime_steps = samples * lifetimes * L
    inner_steps = lifetime_steps * BANDIT["batch_size"]
    num_settings = est.num_settings
    base_samples, base_inner, note = baseline_for(baseline_key, L, num_settings,
                                                  BANDIT["batch_size"])
    speedup = samples / base_samples if base_samples else None
    speedup_inner = inner_steps / base_inner if base_inner else None
    per_cpu_second = N / statistics.median(cpus)
    speedup_cpu = per_cpu_second / base_samples if base_samples else None

    diff = rel_diff = None
    if case.estimator == "mg_c1":
        forward_outputs[(L, N, case.sampler)] = out
    elif case.estimator == "mg_c1_reverse" and (L, N, case.sampler) in forward_outputs:
        forward = forward_outputs[(L, N, case.sampler)]
        diff = float(np.max(np.abs(out - forward)))
        rel_diff = diff / max(float(np.max(np.abs(forward))), 1e-30)

    def mb(value):
        return round(value / 2**20, 3) if value is not None else None

    total = None
    if memory is not None:
        total = (memory.temp_size_in_bytes + memory.argument_size_in_bytes
                 + memory.output_size_in_bytes - memory.alias_size_in_bytes)
    row = dict(
        context,
        group="+".join(sorted(case.groups)),
        estimator=case.estimator.removesuffix("_reverse"),
        mode=mode,
        action_sampler=case.sampler,
        num_settings=num_settings,
        lifetimes_per_sample=lifetimes,
        lifetime_length=L,
        inner_batch_size=BANDIT["batch_size"],
        num_arms=BANDIT["num_arms"],
        batch_of_samples=N,
        repeats=len(walls),
        median_seconds=round(median, 6),
        min_seconds=round(min(walls), 6),
        samples_per_second=round(samples, 2),
        samples_per_second_best=round(N / min(walls), 2),
        samples_per_cpu_second=round(per_cpu_second, 2),
        setting_samples_per_second=round(samples * num_settings, 2),
        lifetime_steps_per_second=round(lifetime_steps, 1),
        inner_steps_per_second=round(inner_steps, 1),
        cpu_utilization=round(sum(cpus) / sum(walls), 3),
        compile_seconds=round(compile_seconds, 3),
        xla_temp_mb=mb(memory.temp_size_in_bytes) if memory is not None else None,
        xla_argument_mb=mb(memory.argument_size_in_bytes) if memory is not None else None,
        xla_output_mb=mb(memory.output_size_in_bytes) if memory is not None else None,
        xla_total_mb=mb(total),
        rss_mb=round(current_rss, 1),
        peak_rss_mb=round(peak_rss, 1),
        loadavg_1m=round(load[0], 2), loadavg_5m=round(load[1], 2),
        loadavg_15m=round(load[2], 2),
        baseline_samples_per_second=round(base_samples, 2) if base_samples else None,
        baseline_inner_steps_per_second=round(base_inner, 1) if base_inner else None,
        baseline_note=note,
        speedup_samples=round(speedup, 2) if speedup else None,
        speedup_inner_steps=round(speedup_inner, 2) if speedup_inner else None,
        speedup_per_cpu_second=round(speedup_cpu, 2) if speedup_cpu else None,
        meets_10x_target=(speedup >= TARGET_SPEEDUP) if speedup else None,
        max_abs_diff_vs_forward=diff,
        max_rel_diff_vs_forward=rel_diff,
    )
    return row


def plan(args) -> list[Case]:
    """Unique (estimator, L, N, sampler) cases; groups that share a case measure it once."""
    cases: dict[tuple, Case] = {}

    def sampler_of(estimator):
        return CONFIGURED_SAMPLER[estimator] if args.sampler == "configured" else args.sampler

    def add(estimator, L, N, group, sampler=None):
        sampler = sampler or sampler_of(estimator)
        key = (estimator, L, N, sampler)
        cases.setdefault(key, Case(estimator, L, N, sampler, set())).groups.add(group)

    longest = max(args.lengths)
    for L in args.lengths:
        sizes = args.batch_sizes if L == longest else args.other_length_batch_sizes
        for N in sizes:
            for estimator in args.estimators:
                add(estimator, L, N, "table")
    for L in args.scaling_lengths:
        for estimator in SCALING_ESTIMATORS:
            add(estimator, L, args.scaling_batch_size, "scaling")
    if args.compare_samplers:
        for estimator in args.estimators:
            for sampler in SAMPLERS:
                add(estimator, longest, max(args.batch_sizes), "samplers", sampler)
    # forward before reverse at equal (L, N), so the reverse row can check it against forward
    order = {name: i for i, name in enumerate(ESTIMATORS)}
    return sorted(cases.values(), key=lambda c: (c.lifetime_length, c.batch_of_samples,
                                                 c.sampler, order[c.estimator]))


def markdown_tables(path: Path) -> str:
    """The README's tables (estimators, L scaling, sampler comparison) from a results CSV."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))

    def num(row, column, fmt):
        value = row[column]
        return format(float(value), fmt) if value not in ("", None) else "–"

    def table(group, columns):
        header = "| " + " | ".join(title for title, _ in columns) + " |"
        rule = "|" + "|".join("---" if i < 3 else "--:" for i in range(len(columns))) + "|"
        lines = [header, rule]
        for r in rows:
            if group in r["group"].split("+"):
                lines.append("| " + " | ".join(cell(r) for _, cell in columns) + " |")
        return lines

    common = [
        ("estimator", lambda r: r["estimator"]), ("mode", lambda r: r["mode"]),
        ("sampler", lambda r: r["action_sampler"]), ("L", lambda r: r["lifetime_length"]),
        ("N", lambda r: r["batch_of_samples"]),
        ("samples/s", lambda r: num(r, "samples_per_second", ".0f")),
        ("samples/CPU-s", lambda r: num(r, "samples_per_cpu_second", ".0f")),
        ("M inner steps/s", lambda r: f"{float(r['inner_steps_per_second']) / 1e6:.2f}"),
        ("CPU util", lambda r: num(r, "cpu_utilization", ".2f")),
        ("compile s", lambda r: num(r, "compile_seconds", ".1f")),
        ("XLA temp MB", lambda r: num(r, "xla_temp_mb", ".1f")),
        ("load 1m", lambda r: num(r, "loadavg_1m", ".2f")),
    ]
    reference = [
        ("ref samples/s/core", lambda r: num(r, "baseline_samples_per_second", ".0f")),
        ("speedup", lambda r: num(r, "speedup_samples", ".1f")),
        ("speedup per CPU-s", lambda r: num(r, "speedup_per_cpu_second", ".1f")),
    ]
    diff = [("rel. diff rev vs fwd",
             lambda r: f"{float(r['max_rel_diff_vs_forward']):.1e}"
             if r["max_rel_diff_vs_forward"] else "–")]
    first = rows[0]
    lines = [f"Device: {first['device']}; jax {first['jax_version']}; "
             f"PRNG {first['prng_impl']}; code {first['git_commit']}; "
             f"run started {first['timestamp']}.", "",
             "Estimators:", ""] + table("table", common + reference)
    if any("scaling" in r["group"] for r in rows):
        lines += ["", "Scaling with L (MG c = 1, forward vs reverse mode):", ""]
        lines += table("scaling", common + diff)
    if any("samplers" in r["group"] for r in rows):
        lines += ["", "Action samplers:", ""] + table("samplers", common + reference)
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.markdown is not None:
        print(markdown_tables(args.markdown))
        return 0
    if args.cpu_devices > 1:
        for N in args.batch_sizes + args.other_length_batch_sizes + [args.scaling_batch_size]:
            if N % args.cpu_devices:
                raise SystemExit(f"batch size {N} is not divisible by --cpu-devices")
    import jax

    if args.prng_impl:
        jax.config.update("jax_default_prng_impl", args.prng_impl)
    if args.cpu_devices > 1:
        jax.config.update("jax_num_cpu_devices", args.cpu_devices)
    import jax.numpy as jnp
    import jaxlib

    sharding = None
    if args.cpu_devices > 1:
        from jax.sharding import Mesh, NamedSharding, PartitionSpec

        mesh = Mesh(np.array(jax.devices()[: args.cpu_devices]), ("samples",))
        sharding = (NamedSharding(mesh, PartitionSpec("samples")),
                    NamedSharding(mesh, PartitionSpec()))

    device, platform_name = device_description(jax)
    out_path = args.out or RESULTS / f"bandit_{platform_name}.csv"
    context = dict(
        timestamp=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        git_commit=git_commit(),
        device=device, platform=platform_name,
        num_devices=args.cpu_devices if platform_name == "cpu" else 1,
        cpu_cores=os.cpu_count(), jax_version=jax.__version__,
        jaxlib_version=jaxlib.__version__,
        prng_impl=jax.config.jax_default_prng_impl,
        xla_flags=os.environ.get("XLA_FLAGS", ""),
    )

    cases = plan(args)
    print(f"[bench] {len(cases)} cases on {device}; writing {out_path}", file=sys.stderr)
    rows, forward_outputs = [], {}
    started = time.perf_counter()
    for i, case in enumerate(cases, 1):
        row = measure(jax, jnp, case, args, sharding, context, forward_outputs)
        rows.append(row)
        speed = f" {row['speedup_samples']:.1f}x ref" if row["speedup_samples"] else ""
        print(f"[bench] {i:2d}/{len(cases)} {row['estimator']:8s} {row['mode']:7s} "
              f"{row['action_sampler']:11s} "
              f"L={row['lifetime_length']:3d} N={row['batch_of_samples']:4d} "
              f"{row['samples_per_second']:9.1f} samples/s "
              f"{row['inner_steps_per_second'] / 1e6:7.2f} M inner steps/s{speed} "
              f"compile {row['compile_seconds']:.1f}s temp {row['xla_temp_mb']} MB "
              f"load {row['loadavg_1m']}", file=sys.stderr, flush=True)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    os.replace(tmp, out_path)
    print(f"[bench] done in {time.perf_counter() - started:.0f} s -> {out_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
