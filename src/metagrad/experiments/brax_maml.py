"""Brax, short horizon, MAML-style gradients (ours, beyond the paper; spec section 7).

eta = the initial policy parameters (:mod:`metagrad.problems.brax_maml`); gradients are
measured at one point, flax's default initialisation. Every estimator is computed from the
SAME sampled lifetimes (one task, one pre-update batch, one post-update batch per sample):

- one ``make_mg`` call (reverse mode) for the c-sweep (``coefficients``; c = 0 is naive, c = 1
  the sampling correction), DiCE (Loaded-DiCE surrogate, c = 0) and DiCE + correction (c = 1);
- the first-order variant of the problem (the update's Jacobian dropped, c = 0) and the
  sibling-baseline variant (ours, c = 1) on the same keys, hence the same lifetimes.

Reference: directional FD with common random numbers (``make_fd``) along K orthonormal unit
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

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax.flatten_util import ravel_pytree

from metagrad.estimators import MGSetting, make_fd, make_mg
from metagrad.estimators.base import flat_grads
from metagrad.experiments.common import Checkpoint, experiment_key, make_problem

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


def combined_estimator(problem, coefficients):
    """``sample(key) -> [S, D]``: every row of ``setting_rows`` from one key (paired)."""
    T = problem.lifetime_length - 1            # untruncated: differentiate every inner update
    raw = make_mg(problem, [MGSetting(T, float(c)) for c in coefficients]
                  + [MGSetting(T, 0.0, hessian="dice"), MGSetting(T, 1.0, hessian="dice")],
                  mode="reverse")
    first = make_mg(problem.variant(first_order=True), [MGSetting(T, 0.0)], mode="reverse")
    sibling = make_mg(problem.variant(correction_baseline="sibling"), [MGSetting(T, 1.0)],
                      mode="reverse")
    eta = problem.initial_eta()

    naive, dice = [float(c) for c in coefficients].index(0.0), len(coefficients)

    def sample(key):
        parts = []
        for est in (raw, first, sibling):
            out, _ = est.estimate(est.init(key, eta), key, eta)
            parts.append(flat_grads(out.grad))
        parts.append(parts[0][dice:dice + 1] - parts[0][naive:naive + 1])
        return jnp.concatenate(parts)

    return sample


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
    sample = combined_estimator(problem, section["coefficients"])
    mg_program = jax.jit(jax.vmap(sample))
    fd = make_fd(problem, section["fd_epsilon"], directions)
    eta = problem.initial_eta()

    def fd_sample(key):
        out, _ = fd.estimate((), key, eta)
        return flat_grads(out.grad)                                  # [1, D]

    fd_program = jax.jit(jax.vmap(fd_sample))
    N, B = int(section["samples_per_batch"]), int(section["num_batches"])
    NF, BF = int(section["fd_samples_per_batch"]), int(section["fd_batches"])
    progress.set_total(B + BF)
    checkpoint = Checkpoint(checkpoint_dir, name)
    done = checkpoint.load({"mg": [], "fd": []})
    progress.update(len(done["mg"]) + len(done["fd"]))
    fd_root = jax.random.fold_in(root, FD_SALT)
    for kind, count, size, program, base in (("mg", B, N, mg_program, root),
                                             ("fd", BF, NF, fd_program, fd_root)):
        for batch in range(len(done[kind]), count):
            keys = jax.random.split(jax.random.fold_in(base, batch), size)
            grads = np.asarray(program(keys), np.float64)
            done[kind].append(_batch_stats(grads, directions))
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
