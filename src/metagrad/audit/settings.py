"""Levels and smallest effects of interest of the audit (a profile may override any under ``audit:``)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

__all__ = ["AuditSettings"]


@dataclass(frozen=True)
class AuditSettings:
    """Levels and smallest effects of interest (SESOI); plain values, overridable per profile."""

    alpha: float = 0.05                 # family-wise level of each claim (Holm-Bonferroni)
    power: float = 0.80                 # power of the sample-size projections
    num_bootstrap: int = 1000           # batch-bootstrap resamples per paired comparison
    bias_scale_fraction: float = 0.10   # SESOI of bias = this x naive's grid-mean bias
    variance_fraction: float = 0.10     # SESOI of a variance difference = this x the pair's mean
    tie_fraction: float = 0.05          # C5: "highest bias" up to ties of 5 % of naive's bias
    heavy_tail_share: float = 0.50      # one grid point carrying more than this -> median test,
    heavy_tail_min_points: int = 10     # on grids of at least this many points
    cosine_threshold: float = 0.90      # C7
    cosine_naive_max: float = 0.50      # C7: naive "well below"
    cosine_sesoi: float = 0.05
    final_margin: float = 0.01          # C8: equivalence margin on final reward per pull
    final_sesoi: float = 0.005          # C8/C9: smallest reward difference of interest
    frontier_bias_fraction: float = 0.10  # C10 margin = this x naive (truncation 1) bias
    landscape_max_band: tuple = (0.22, 0.30)
    landscape_argmax: tuple = (2.5, 3.5)
    landscape_argmax_tol: float = 1.5
    landscape_min_max: float = 0.05
    landscape_sesoi: float = 0.01
    maze_reward_margin: float = 0.01    # C13: non-inferiority margin, reward per step (figure 10)
    maze_reward_sesoi: float = 0.01     # C14: smallest final-reward difference of interest
    landscape_min_paired_batches: int = 5  # C12 argmax set: pair over at least this many batches

    @classmethod
    def from_cfg(cls, cfg: dict | None) -> "AuditSettings":
        over = dict((cfg or {}).get("audit") or {})
        known = {f.name for f in fields(cls)}
        over = {k: (tuple(v) if isinstance(v, list) else v) for k, v in over.items() if k in known}
        return replace(cls(), **over)
