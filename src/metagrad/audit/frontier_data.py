"""The frontier tables as the claims see them: settings selected by what they are, paired tests.

Settings are selected by (pairing_group, hessian, truncation_length, coefficient, meta_discount),
never by the ``estimator`` code (corrected MG settings were coded "mg" and are now "correction";
both are read). Labels come from :mod:`metagrad.names`.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from metagrad import metrics as M
from metagrad import names
from metagrad.audit.settings import AuditSettings
from metagrad.audit.stats import Test, dominant_point
from metagrad.audit.store import MissingTable, TableStore
from metagrad.audit.verdict import fmt
from metagrad.summaries.frontier import ES_DECISIVE_SOURCE

__all__ = ["Frontier", "frontier", "L80", "L30", "seed_of"]

L80 = ("frontier_L80/frontier_L80", "frontier_L80/frontier_aggregate")
L30 = ("frontier_L30/frontier_L30", "frontier_L30/frontier_aggregate")


def seed_of(*parts) -> int:
    """A bootstrap seed fixed by what is compared (same comparison, same resamples)."""
    return zlib.crc32("|".join(map(str, parts)).encode()) & 0x7FFFFFFF


class Frontier:
    """One frontier experiment: aggregate (per setting), raw estimates and reference, selectors."""

    def __init__(self, tables: TableStore, section: str, cfg: dict, s: AuditSettings):
        self.tables, self.section, self.cfg, self.s = tables, section, cfg, s
        self.agg = tables.get(f"{section}/frontier_aggregate").set_index("setting_id", drop=False)
        raw = tables.get(f"{section}/{section}")
        self.est = raw[raw["pairing_group"].isin(["mg", "es", "mg_rb", "es_rb"])]
        self.ref = raw[raw["pairing_group"] == "fd"]
        # the decisive bias (ours): paired differences to untruncated c = 1 on the same
        # lifetimes, against a zero reference (absent in results made before it existed)
        self.paired = raw[raw["pairing_group"] == "mg_paired"]
        self.zero_ref = M.zero_reference(self.paired) if len(self.paired) else None
        for frame in (self.agg, raw):
            if "lifetime_length" in frame.columns:
                self.L = int(frame["lifetime_length"].iloc[0])
                break
        else:
            self.L = int(raw["truncation_length"].max()) + 1

    # ------------------------------------------------------------------ selection

    def select(self, **conds) -> list[str]:
        """Setting ids matching every condition (a value, a float compared with isclose, or a
        predicate), ordered by truncation, then coefficient."""
        a = self.agg
        mask = np.ones(len(a), bool)
        for col, val in conds.items():
            if callable(val):
                mask &= a[col].map(val).to_numpy(bool)
            elif isinstance(val, float):
                mask &= np.isclose(a[col].astype(float), val)
            else:
                mask &= (a[col] == val).to_numpy()
        return sorted(a.index[mask], key=lambda k: (a.loc[k, "truncation_length"],
                                                   float(np.nan_to_num(a.loc[k, "coefficient"])), k))

    def one(self, what: str, **conds) -> str:
        found = self.select(**conds)
        if not found:
            raise MissingTable(f"{self.section}/frontier_aggregate (no {what} setting)")
        return found[0]

    def mg(self, **conds) -> list[str]:
        """MG settings without Hessian estimation."""
        return self.select(pairing_group="mg", hessian="none", **conds)

    @property
    def untruncated_c1(self) -> str:
        return self.one("untruncated c = 1", pairing_group="mg", hessian="none",
                        truncation_length=self.L - 1, coefficient=1.0, meta_discount=1.0)

    @property
    def naive(self) -> str:
        """Naive: c = 0 at the shortest window (truncation 1)."""
        return self.one("naive", pairing_group="mg", hessian="none", coefficient=0.0, meta_discount=1.0)

    @property
    def dice(self) -> str:
        return self.one("DiCE", pairing_group="mg", hessian="dice", coefficient=0.0)

    @property
    def es(self) -> list[str]:
        return self.select(pairing_group="es")

    def value(self, sid: str, metric: str) -> float:
        return float(self.agg.loc[sid, metric])

    def n(self, sid: str) -> float:
        return float(self.agg.loc[sid, "samples_per_point"])

    def truncation(self, sid: str) -> int:
        return int(self.agg.loc[sid, "truncation_length"])

    # ------------------------------------------------------------------ names

    def code(self, sid: str) -> str:
        r = self.agg.loc[sid]
        if r["pairing_group"] in ("es", "fd"):
            return str(r["pairing_group"])
        return names.mg_code(float(r["coefficient"]), float(r["meta_discount"]), int(r["truncation_length"]),
                             str(r["hessian"]))

    def label(self, sid: str) -> str:
        """``names`` label plus what distinguishes the setting, e.g. "sampling correction (c=1, trunc none)"."""
        r = self.agg.loc[sid]
        t = self.truncation(sid)
        parts = []
        if r["pairing_group"] == "mg" and r["hessian"] == "none":
            g = float(r["meta_discount"])
            parts.append(f"γm={g:g}" if g < 1 else f"c={float(r['coefficient']):g}")
        if not (r["hessian"] == "dice" and t == self.L - 1):
            parts.append(f"trunc {'none' if t == self.L - 1 else t}")
        name = names.short_label(self.code(sid))
        return f"{name} ({', '.join(parts)})" if parts else name

    # ------------------------------------------------------------------ statistics

    def bias_scale(self, fraction: float) -> tuple[float, str]:
        nv = self.naive
        m = self.bias_metric()
        b = self.value(nv, m)
        if self.value(nv, f"{m}_ci_low") > 0:
            what = "decisive (paired)" if m == "bias_decisive" else "noise-corrected"
            return fraction * b, f"{fraction:g} x naive's {what} grid-mean bias {fmt(b)}"
        braw = self.value(nv, "bias_raw")
        return fraction * braw, (f"{fraction:g} x naive's RAW grid-mean bias {fmt(braw)} "
                                 f"(its noise-corrected bias {fmt(b)} is not significantly > 0)")

    @property
    def has_decisive(self) -> bool:
        return self.zero_ref is not None and "bias_decisive" in self.agg.columns

    def bias_metric(self) -> str:
        """The bias the claims decide on: ``bias_decisive`` where the tables have it (paired
        with untruncated c = 1 for MG settings; for ES against untruncated c = 1's
        variance-reduced rows, or FD in older tables), else ``bias_corrected``."""
        return "bias_decisive" if self.has_decisive else "bias_corrected"

    def es_decisive_reference(self, sid: str) -> str | None:
        """The setting an ES setting's decisive bias was measured against (the variance-reduced
        untruncated c = 1 rows, ours), or None where it was measured against FD."""
        if "bias_decisive_source" not in self.agg.columns or self.agg.loc[sid, "pairing_group"] != "es":
            return None
        if self.agg.loc[sid, "bias_decisive_source"] != ES_DECISIVE_SOURCE:
            return None
        rid = f"{self.untruncated_c1}_rb"
        return rid if (self.est["setting_id"] == rid).any() else None

    def paired_id(self, sid: str) -> str | None:
        """The paired-difference setting of an MG setting (raw or variance-reduced), if any."""
        base = sid[:-3] if sid.endswith("_rb") else sid
        pid = f"{base}_paired"
        return pid if self.zero_ref is not None and (self.paired["setting_id"] == pid).any() else None

    def es_rb_id(self, sid: str) -> str | None:
        """The variance-reduced rows of an ES setting (ours; they carry its decisive bias)."""
        rid = f"{sid}_rb"
        return rid if (self.agg.loc[sid, "pairing_group"] == "es"
                       and (self.est["setting_id"] == rid).any()) else None

    def diff(self, a: str, b: str, metric: str) -> dict:
        key = (self.section, a, b, metric)
        if metric == "bias_decisive":
            return self.tables.cached(key, lambda: self._decisive_diff(a, b, key))
        return self.tables.cached(key, lambda: M.paired_difference(
            self.est, self.ref, a, b, metric=metric, num_bootstrap=self.s.num_bootstrap,
            seed=seed_of(self.cfg.get("seed", 0), *key)))

    def _decisive_diff(self, a: str, b: str, key) -> dict:
        """Paired bootstrap of the paired-difference rows when both are MG settings; else the
        difference of two independent measurements (an MG one and ES's)."""
        pa, pb = self.paired_id(a), self.paired_id(b)
        if pa and pb:
            return M.paired_difference(self.paired, self.zero_ref, pa, pb, metric="bias_corrected",
                                       num_bootstrap=self.s.num_bootstrap,
                                       seed=seed_of(self.cfg.get("seed", 0), *key))
        ra, rb = self.es_decisive_reference(a), self.es_decisive_reference(b)
        if ra and ra == rb:   # two ES settings against the same c = 1 rows
            return M.paired_difference(self.est, self.est[self.est["setting_id"] == ra],
                                       self.es_rb_id(a), self.es_rb_id(b), metric="bias_corrected",
                                       num_bootstrap=self.s.num_bootstrap,
                                       seed=seed_of(self.cfg.get("seed", 0), *key))
        da = (self.diff(self.es_rb_id(a) or a, self.es_rb_id(b) or b, "bias_corrected")
              if not (pa or pb or ra or rb) else None)
        if da is not None:
            return da
        points = self.tables.get(f"{self.section}/frontier_points")
        paired_points = self.tables.get(f"{self.section}/frontier_points_paired")

        def per_point(sid, pid):
            if pid:
                frame, m = paired_points[paired_points["setting_id"] == pid], "bias_corrected"
            else:   # ES: its per-point decisive bias where the tables have it (ours)
                frame = points[points["setting_id"] == (self.es_rb_id(sid) or sid)]
                m = ("bias_decisive" if "bias_decisive" in frame.columns
                     and frame["bias_decisive"].notna().all() else "bias_corrected")
            frame = frame.set_index("eta_index")
            se = (frame[f"{m}_ci_high"] - frame[f"{m}_ci_low"]) / 3.92
            return frame[m], se

        va, sa = per_point(a, pa)
        vb, sb = per_point(b, pb)
        d = (va - vb).dropna()
        se = np.sqrt(sa ** 2 + sb ** 2).loc[d.index]
        boot_se = float(np.hypot(self.value(a, "bias_decisive_boot_se"),
                                 self.value(b, "bias_decisive_boot_se")))
        return {"difference": self.value(a, "bias_decisive") - self.value(b, "bias_decisive"),
                "boot_se": boot_se, "paired": False,
                "num_points": int(len(d)), "num_points_positive": int((d > 1.96 * se).sum()),
                "num_points_negative": int((d < -1.96 * se).sum()),
                "median_difference": float(np.median(d)),
                "median_boot_se": float(1.2533 * np.sqrt((se ** 2).mean() / max(len(d), 1))),
                "per_point": pd.DataFrame({"eta_index": d.index, "difference": d.to_numpy(),
                                           "se": se.to_numpy()})}

    def test(self, a: str, b: str, metric: str, direction: str, label: str, sesoi=None,
             threshold=0.0, required=True) -> Test:
        """Test of the grid-mean difference metric(a) − metric(b) (paired where they share samples),
        or of the median over points where one point carries the grid mean: more than
        ``heavy_tail_share`` of Σ|point difference| or of its sampling variance, on a grid of at
        least ``heavy_tail_min_points`` (on fewer, one point carrying half is no sign of a tail)."""
        d = self.diff(a, b, metric)
        info = {"paired": d["paired"], "points_pos": d["num_points_positive"],
                "points_neg": d["num_points_negative"], "points": d["num_points"],
                "median_diff": d["median_difference"]}
        pp = d["per_point"]
        i, share = dominant_point(pp["difference"], pp["se"])
        if d["num_points"] >= self.s.heavy_tail_min_points and share > self.s.heavy_tail_share:
            info.update(heavy_tail_share=share, grid_mean=d["difference"], grid_mean_se=d["boot_se"])
            return Test(f"median over points of {label}", d["median_difference"], d["median_boot_se"],
                        threshold, direction, sesoi, self.n(a), required=required, info=info)
        return Test(label, d["difference"], d["boot_se"], threshold, direction, sesoi, self.n(a),
                    required=required, info=info)

    def level_test(self, sid: str, metric: str, threshold: float, direction: str, label: str,
                   sesoi=None) -> Test:
        """Test of a setting's grid-mean ``metric`` against a threshold (bias against the FD
        reference), sized in the samples that limit it (:meth:`limiting_size`)."""
        n, unit, share = self.limiting_size(sid, metric)
        return Test(label, self.value(sid, metric), self.value(sid, f"{metric}_boot_se"), threshold,
                    direction, sesoi, n, unit=unit,
                    info={"ci95_low": self.value(sid, f"{metric}_ci_low"),
                          "ci95_high": self.value(sid, f"{metric}_ci_high"), "reference_share": share})

    def _reference_rows(self, reference: str | None) -> pd.DataFrame:
        """The FD rows (``reference`` None) or the rows of the setting ``reference``."""
        return self.ref if reference is None else self.est[self.est["setting_id"] == reference]

    def reference_share(self, sid: str, reference: str | None = None) -> float:
        """Share of the reference (FD, or the setting ``reference``) in the sampling variance of
        ĝ − g*: Σ se*² / Σ (se² + se*²) over points and coordinates (batch-means standard errors)."""
        def compute():
            dims = M.coordinates(self.est)
            rows = self._reference_rows(reference)
            ref = self.tables.cached(("reference_pooled", self.section, reference), lambda: M.pool_batches(
                rows.assign(setting_id="reference",
                            batch=rows.groupby(["setting_id", "batch"]).ngroup())))
            est = M.pool_batches(self.est[self.est["setting_id"] == sid])
            ref = ref.set_index("eta_index").loc[est["eta_index"]]
            se2 = sum(float((est[f"se_{d}"] ** 2).sum()) for d in dims)
            ref_se2 = sum(float((ref[f"se_{d}"] ** 2).sum()) for d in dims)
            return ref_se2 / (se2 + ref_se2)
        return self.tables.cached(("reference_share", self.section, sid, reference), compute)

    def limiting_size(self, sid: str, metric: str = "bias_corrected") -> tuple[float, str, float]:
        """(samples per point, unit, reference share) of whichever of the setting and the FD
        reference dominates the noise of a comparison with the reference: projections scale that.
        The paired decisive bias of an MG setting has no reference noise."""
        if metric == "bias_decisive" and self.paired_id(sid):
            n = float(np.median(self.paired[self.paired["setting_id"] == self.paired_id(sid)]
                                .groupby("eta_index")["num_samples"].sum()))
            return n, "paired variance-reduced samples per point", 0.0
        reference = None
        if metric == "bias_decisive" and self.es_rb_id(sid):
            reference = self.es_decisive_reference(sid)
            sid = self.es_rb_id(sid)
        share = self.reference_share(sid, reference)
        if share > 0.5:
            ref = self._reference_rows(reference)
            n_ref = float(np.median(ref.groupby("eta_index")["num_samples"].sum()))
            what = "FD reference" if reference is None else "untruncated c = 1 reference"
            return n_ref, f"{what} samples per point (the reference's noise dominates)", share
        return self.n(sid), "samples per point", share

    def identical(self, a: str, b: str) -> bool:
        """Do two settings give the same estimates on the same samples (e.g. every c at truncation 1)?"""
        def compute():
            cols = [c for c in self.est.columns if c.startswith(("mean_", "var_"))]
            fa = self.est[self.est["setting_id"] == a].sort_values(["eta_index", "batch"])
            fb = self.est[self.est["setting_id"] == b].sort_values(["eta_index", "batch"])
            return bool(len(fa) == len(fb) and fa["pairing_group"].iloc[0] == fb["pairing_group"].iloc[0]
                        and np.allclose(fa[cols].to_numpy(float), fb[cols].to_numpy(float),
                                        rtol=1e-6, atol=1e-12))
        return self.tables.cached(("identical", self.section, *sorted((a, b))), compute)


def frontier(tables: TableStore, cfg: dict, section: str = "frontier_L80") -> Frontier:
    return tables.cached(("frontier", section),
                         lambda: Frontier(tables, section, cfg, AuditSettings.from_cfg(cfg)))
