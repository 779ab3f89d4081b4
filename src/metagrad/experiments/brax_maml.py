"""Brax, short horizon, MAML-style gradients (ours, beyond the paper; spec section 7).

eta = the initial policy parameters (:mod:`metagrad.problems.brax_maml`); gradients are
measured at one point, flax's default initialisation. Every estimator is computed from the
SAME sampled lifetimes (one task, one pre-update batch, one post-update batch per sample):

- the c-sweep (``coefficients``; c = 0 is naive, c = 1 the sampling correction), DiCE
  (Loaded-DiCE surrogate, c = 0) and DiCE + correction (c = 1);
- the first-order variant of the problem (the update's Jacobian dropped, c = 0) and the
  sibling-baseline variant (ours, c = 1);
- DiCE minus naive (its Hessian term alone).

All come from ONE recorded lifetime (``maml_program``: the untruncated MG estimate of each
problem variant replayed on it, reverse mode), which equals ``make_mg``'s estimate of each
variant sample by sample (tested on the bandit) while simulating and compiling the lifetime
once instead of once per variant (three ``make_mg`` programs compiled in ~100 s on 2 CPU
cores; the Brax compile dominates the default's budget).

Reference: directional FD with common random numbers (as ``make_fd``: the same keys, the same
lifetimes; run through the estimators' compiled lifetime program without its replays, so the
Brax simulator compiles once) along K orthonormal unit
directions fixed by the seed: directions ``0 .. K/2 - 1`` lie within the policy's output layer
(``group = output``), ``K/2 .. K - 1`` are uniformly random over all parameters (``group =
all``; random directions see ``|grad J| / sqrt(D)``, hence the output-layer group).

Table rows (batch, setting): ``trace_var`` (the unbiased per-batch variance of the FULL
D-dimensional estimate, summed over coordinates: free, no probe rescaling), ``mean_k`` /
``var_k`` (batch mean and variance of the projection on direction k), ``num_samples``; FD rows
(``setting_key = fd``) hold the directional differences ``d_k``. Pairing: all estimator rows of
one batch share their samples; FD batches are independent of them.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax.flatten_util import ravel_pytree

from metagrad.experiments.common import Checkpoint, experiment_key, make_problem
from metagrad.lifetime import lifetime_keys, record_lifetime

FD_SALT = 0xFD
DIRECTION_SALT = 0xD1
# (setting_key, label) of the named estimators; c-sweep points are "c<value>"
LABELS = {"naive": "naive", "correction": "sampling correction", "dice": "DiCE",
          "dice_correction": "DiCE + correction", "first_order": "first-order",
          "correction_sibling": "correction + sibling baseline (ours)",
          "dice_extra": "DiCE − naive (its Hessian term)", "fd": "FD (reference)"}


def setting_rows(coefficients) -> list[dict]:
    """Descriptions of the estimator rows, in the order the combined estimator returns them."""
    rows = []
    for c in coefficients:
        key = "naive" if c == 0 else "correction" if c == 1 else f"c{c:g}"
        rows.append({"setting_key": key, "variant": "raw", "coefficient": float(c),
                     "hessian": "none", "sweep": True})
    rows.append({"setting_key": "dice", "variant": "raw", "coefficient": 0.0, "hessian": "dice",
                 "sweep": False})
    rows.append({"setting_key": "dice_correction", "variant": "raw", "coefficient": 1.0,
                 "hessian": "dice", "sweep": False})
    rows.append({"setting_key": "first_order", "variant": "first_order", "coefficient": 0.0,
                 "hessian": "none", "sweep": False})
    rows.append({"setting_key": "correction_sibling", "variant": "sibling_baseline",
                 "coefficient": 1.0, "hessian": "none", "sweep": False})
    # DiCE minus naive on the same samples: DiCE's extra Hessian term alone (for every c,
    # DiCE(c) - MG(c) is this term), whose mean is the bias it adds to the correction
    rows.append({"setting_key": "dice_extra", "variant": "paired_difference",
                 "coefficient": np.nan, "hessian": "dice", "sweep": False})
    for row in rows:
        row["label"] = LABELS.get(row["setting_key"], f"c = {row['coefficient']:g}")
    return rows


def check_coefficients(coefficients) -> None:
    cs = [float(c) for c in coefficients]
    if 0.0 not in cs or 1.0 not in cs:
        raise ValueError(f"experiments.brax_maml.coefficients must contain 0 (naive) and 1 "
                         f"(the sampling correction), got {coefficients!r}")
    if len(set(cs)) != len(cs):
        raise ValueError(f"experiments.brax_maml.coefficients has duplicates: {coefficients!r}")


class MAMLProgram(NamedTuple):
    """``at(key, flat_eta, task) -> [S, D]`` (one lifetime); ``lifetime(key, flat_eta, replay)
    -> ([S, D], J)``: one lifetime on a fresh task from ``key`` (as ``make_mg`` and ``make_fd``
    sample them), its mean objective J and, where the unbatched boolean ``replay`` holds, the
    estimates (zeros otherwise: FD lifetimes run the same compiled program without replays)."""

    rows: tuple
    at: Callable
    lifetime: Callable


def untruncated_multipliers(credit, baseline, coefficient):
    """``v_j = c sum_{i > j} (credit_i - b_j(i))`` for a window covering the lifetime, with
    per-step (``[L]``) or per-offset (``[L, L]``) baselines, as ``mg.correction_multipliers``."""
    L = credit.shape[0]
    later = (jnp.arange(L)[None, :] > jnp.arange(L)[:, None]).astype(credit.dtype)  # [j, i]
    if baseline.ndim == 2:
        offsets = jnp.clip(jnp.arange(L)[None, :] - jnp.arange(L)[:, None], 0, L - 1)
        b = jnp.take_along_axis(baseline, offsets, axis=1)
    else:
        b = jnp.broadcast_to(baseline[:, None], (L, L))
    return coefficient * jnp.sum(later * (credit[None, :] - b), axis=1)


def maml_program(recorder, variants: dict, settings) -> MAMLProgram:
    """Untruncated MG estimates (``(1/L) [sum_i d direct_i + sum_j d S_j v_j]``, spec section 3)
    of several problem VARIANTS on ONE recorded lifetime: ``recorder`` samples it
    (``lifetime.record_lifetime``), and each ``variants[name]`` (the same sampling, other
    outer terms or update derivatives) replays it differentiably from ``start(eta)``, pulled
    back with one cotangent per coefficient (reverse mode). ``settings``: ``(variant, hessian,
    coefficient)`` per row. Per sample and row it equals ``make_mg``'s untruncated estimate of
    that variant (tested on the bandit), but the lifetime is simulated and compiled once."""
    L = recorder.lifetime_length
    _, unravel = ravel_pytree(recorder.eta_template())
    groups: dict[tuple[str, str], list[int]] = {}
    for s, (variant, hessian, _) in enumerate(settings):
        groups.setdefault((variant, hessian), []).append(s)
    coefficients = jnp.asarray([float(c) for _, _, c in settings], jnp.float32)

    def at(key, flat_eta, task):
        record = record_lifetime(recorder, unravel(flat_eta), task, key, jnp.zeros((1,), jnp.int32))
        return estimates(key, flat_eta, task, record)

    def lifetime(key, flat_eta, replay):
        task_key, life_key = jax.random.split(key)
        task = recorder.sample_task(task_key)
        record = record_lifetime(recorder, unravel(flat_eta), task, life_key,
                                 jnp.zeros((1,), jnp.int32))
        grads = jax.lax.cond(replay, lambda: estimates(life_key, flat_eta, task, record),
                             lambda: jnp.zeros((len(settings), flat_eta.size), flat_eta.dtype))
        return grads, record.objective.mean()

    def estimates(key, flat_eta, task, record):
        env_key, _ = lifetime_keys(key, L)
        total = jnp.zeros((len(settings), flat_eta.size), flat_eta.dtype)
        for (variant, hessian), members in groups.items():
            problem = variants[variant]

            def replay(e, problem=problem, hessian=hessian):
                eta = unravel(e)
                learner = problem.start(env_key, task, eta)[0]

                @jax.checkpoint
                def body(learner, step):
                    batch = jax.tree.map(lambda x: x[step], record.batches)
                    outer = problem.outer_terms(learner, batch, eta, step)
                    learner = problem.update(learner, batch, eta, step, hessian)
                    return learner, ((outer.direct, outer.score),
                                     jax.lax.stop_gradient((outer.credit, outer.baseline)))

                _, (terms, aux) = jax.lax.scan(body, learner, jnp.arange(L))
                return terms, aux

            _, pullback, (credit, baseline) = jax.vjp(replay, flat_eta, has_aux=True)
            members = jnp.asarray(members)
            v = jax.vmap(lambda c: untruncated_multipliers(credit, baseline, c))(
                coefficients[members])
            (grads,) = jax.vmap(pullback)((jnp.ones((members.size, L), flat_eta.dtype), v))
            total = total.at[members].set(grads)
        return total / L

    return MAMLProgram(tuple(settings), at, lifetime)


def combined_program(problem, coefficients):
    """``(keys [C], flat_etas [C, D], replay) -> (estimates [C, S', D], J [C])``, compiled once
    for the estimator samples (``replay`` True, every eta the measured point) and the FD
    lifetimes (False, eta +- eps/2 u_k): every row of ``setting_rows`` from one recorded
    lifetime per key (paired): the c-sweep, DiCE and DiCE + correction (raw outer terms),
    first-order (c = 0) and the sibling baseline (c = 1), plus DiCE - naive. Recorded with
    the sibling episodes, which change no main episode: the same lifetimes, the same J."""
    recorder = problem.variant(sibling_episodes=True)
    variants = {"raw": recorder,
                "first_order": recorder.variant(first_order=True),
                "sibling_baseline": recorder.variant(correction_baseline="sibling")}
    settings = [("raw", "none", c) for c in coefficients]
    settings += [("raw", "dice", 0.0), ("raw", "dice", 1.0), ("first_order", "none", 0.0),
                 ("sibling_baseline", "none", 1.0)]
    program = maml_program(recorder, variants, settings)
    naive, dice = [float(c) for c in coefficients].index(0.0), len(coefficients)

    def one(key, flat_eta, replay):
        grads, objective = program.lifetime(key, flat_eta, replay)
        return jnp.concatenate([grads, grads[dice:dice + 1] - grads[naive:naive + 1]]), objective

    return jax.jit(jax.vmap(one, in_axes=(0, 0, None)))


def fd_entries(key, flat_eta, directions, epsilon, num_samples):
    """Keys and etas of ``num_samples`` directional FD samples with common random numbers,
    sampled as ``make_fd``: per sample, one key per direction (``split(key_n, K)``) shared by
    the lifetimes at ``eta + (eps/2) u_k`` and ``eta - (eps/2) u_k``. Shapes ``[n, K, 2, ...]``."""
    K = directions.shape[0]
    keys = jax.vmap(lambda k: jax.random.split(k, K))(jax.random.split(key, num_samples))
    step = 0.5 * epsilon * jnp.asarray(directions)
    etas = flat_eta[None, :] + jnp.stack([step, -step], axis=1)                # [K, 2, D]
    keys = jnp.broadcast_to(keys[:, :, None], keys.shape[:2] + (2,) + keys.shape[2:])
    return keys, jnp.broadcast_to(etas, (num_samples,) + etas.shape)


def run_chunks(program, keys, etas, replay: bool, chunk: int):
    """``program`` on ``[M]`` entries in chunks of ``chunk`` (the last padded): one compiled shape."""
    M = keys.shape[0]
    pad = (-M) % chunk
    keys = jnp.concatenate([keys, jnp.broadcast_to(keys[:1], (pad,) + keys.shape[1:])])
    etas = jnp.concatenate([etas, jnp.broadcast_to(etas[:1], (pad,) + etas.shape[1:])])
    flag = jnp.asarray(bool(replay))
    outs = [program(keys[i:i + chunk], etas[i:i + chunk], flag) for i in range(0, M + pad, chunk)]
    grads = np.concatenate([np.asarray(g, np.float64) for g, _ in outs])[:M]
    objectives = np.concatenate([np.asarray(j, np.float64) for _, j in outs])[:M]
    return grads, objectives


def output_layer_mask(problem) -> np.ndarray:
    """``[D]`` booleans: the flat coordinates of the policy's last Dense layer."""
    last = f"Dense_{len(problem.policy.net.hidden)}"
    marked = jax.tree_util.tree_map_with_path(
        lambda path, x: jnp.full(x.shape, any(getattr(p, "key", None) == last for p in path)),
        problem.eta_template())
    return np.asarray(ravel_pytree(marked)[0]) > 0.5


def fd_directions(key, mask: np.ndarray, num_directions: int) -> np.ndarray:
    """``[K, D]`` orthonormal rows: the first K/2 within ``mask`` (the output layer), the rest
    uniformly random over all coordinates (orthogonalised after the first group, so the first
    group stays in the output layer)."""
    K = int(num_directions)
    if K < 2 or K % 2:
        raise ValueError(f"experiments.brax_maml.num_directions must be an even integer >= 2, got {K!r}")
    D, half = mask.size, K // 2
    if half > int(mask.sum()):
        raise ValueError(f"experiments.brax_maml.num_directions/2 = {half} exceeds the output "
                         f"layer's {int(mask.sum())} parameters")
    out_key, all_key = jax.random.split(key)
    g_out = np.asarray(jax.random.normal(out_key, (D, half)), np.float64) * mask[:, None]
    g_all = np.asarray(jax.random.normal(all_key, (D, half)), np.float64)
    q, r = np.linalg.qr(np.concatenate([g_out, g_all], axis=1))
    q = q * np.sign(np.diag(r))[None, :]
    return q.T.astype(np.float32)


def _batch_stats(grads: np.ndarray, directions: np.ndarray):
    """grads ``[N, S, D]`` -> mean/var of projections ``[S, K]`` and trace variance ``[S]``."""
    proj = grads @ directions.T.astype(np.float64)                  # [N, S, K]
    return proj.mean(0), proj.var(0, ddof=1), grads.var(0, ddof=1).sum(-1)


def run(cfg, section, name, progress, checkpoint_dir=None) -> pd.DataFrame:
    check_coefficients(section["coefficients"])
    problem = make_problem(cfg, section)
    root = experiment_key(cfg, name)
    D = int(ravel_pytree(problem.eta_template())[0].size)
    K = int(section["num_directions"])
    directions = fd_directions(jax.random.fold_in(root, DIRECTION_SALT), output_layer_mask(problem), K)
    rows_meta = setting_rows(section["coefficients"])
    program = combined_program(problem, section["coefficients"])
    flat_eta = ravel_pytree(problem.initial_eta())[0]
    epsilon = float(section["fd_epsilon"])
    N, B = int(section["samples_per_batch"]), int(section["num_batches"])
    NF, BF = int(section["fd_samples_per_batch"]), int(section["fd_batches"])
    progress.set_total(B + BF)
    checkpoint = Checkpoint(checkpoint_dir, name)
    done = checkpoint.load({"mg": [], "fd": []})
    progress.update(len(done["mg"]) + len(done["fd"]))
    for batch in range(len(done["mg"]), B):
        keys = jax.random.split(jax.random.fold_in(root, batch), N)
        grads, _ = run_chunks(program, keys, jnp.broadcast_to(flat_eta, (N, D)), True, N)
        done["mg"].append(_batch_stats(grads, directions))
        checkpoint.save(done)
        progress.update(1)
    fd_root = jax.random.fold_in(root, FD_SALT)
    for batch in range(len(done["fd"]), BF):
        keys, etas = fd_entries(jax.random.fold_in(fd_root, batch), flat_eta, directions,
                                epsilon, NF)
        _, objectives = run_chunks(program, keys.reshape((-1,) + keys.shape[3:]),
                                   etas.reshape(-1, D), False, N)
        pm = objectives.reshape(NF, K, 2)
        slopes = (pm[..., 0] - pm[..., 1]) / epsilon                      # [NF, K]
        grads = (slopes @ directions.astype(np.float64))[:, None, :]      # [NF, 1, D]
        done["fd"].append(_batch_stats(grads, directions))
        checkpoint.save(done)
        progress.update(1)
    return to_table(done, rows_meta, N, NF, D, K)


def to_table(done, rows_meta, N, NF, D, K) -> pd.DataFrame:
    records = []
    fd_meta = {"setting_key": "fd", "variant": "fd", "coefficient": np.nan, "hessian": "none",
               "sweep": False, "label": LABELS["fd"]}
    for kind, metas, size in (("mg", rows_meta, N), ("fd", [fd_meta], NF)):
        for batch, (means, variances, traces) in enumerate(done[kind]):
            for s, meta in enumerate(metas):
                rec = {**meta, "batch": batch, "num_samples": size, "trace_var": traces[s],
                       "num_meta_params": D, "num_probes": K, "num_output_directions": K // 2}
                rec.update({f"mean_{k}": means[s, k] for k in range(K)})
                rec.update({f"var_{k}": variances[s, k] for k in range(K)})
                records.append(rec)
    frame = pd.DataFrame(records)
    frame["coefficient"] = frame["coefficient"].astype(float)
    return frame
