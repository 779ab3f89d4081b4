"""A browsable, self-contained HTML report: every figure, its caption, the claims, the provenance.

    metagrad audit report --profile P [--results results/P] [--figures figures/P]
                                 [--out results/P/report/index.html] [--png F.png ...]

Figures are embedded as base64 PNG (data URIs), so the single file has no links to break and can
be moved or mailed. A small script marks the page when every image has decoded: the element
``#img-check`` gets ``data-status="ok"`` (or ``"broken"``) and ``data-loaded``/``data-total``
counts, which a headless browser can read with ``--dump-dom``.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

__all__ = ["build_report"]

COLOURS = {"pass": "#1a7f37", "fail": "#cf222e", "inconclusive": "#bf8700", "not_run": "#6e7781"}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;
color:#1f2328;padding:0 1em;line-height:1.45}
h1{font-size:1.6em} h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;width:100%;margin:.6em 0}
th,td{border:1px solid #d0d7de;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f6f8fa} td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.verdict{color:#fff;font-weight:600;border-radius:4px;padding:1px 6px;white-space:nowrap}
figure{margin:1.2em 0;padding:.8em;border:1px solid #d0d7de;border-radius:6px}
figure img{max-width:100%;height:auto;display:block;margin:auto}
figcaption{font-size:.9em;margin-top:.6em;white-space:pre-wrap}
nav a{margin-right:1em} .missing{color:#cf222e;font-weight:600}
details{margin:.3em 0} .small{font-size:.8em;color:#57606a}
"""

CHECK_JS = """
(function(){
  function check(){
    var imgs=[].slice.call(document.images), ok=0;
    imgs.forEach(function(i){ if(i.complete && i.naturalWidth>0) ok++; });
    var el=document.getElementById('img-check');
    el.setAttribute('data-loaded', ok); el.setAttribute('data-total', imgs.length);
    el.setAttribute('data-status', ok===imgs.length ? 'ok' : 'broken');
    el.textContent = ok + ' of ' + imgs.length + ' figures loaded';
  }
  if(document.readyState==='complete'){check();} else {window.addEventListener('load', check);}
})();
"""


def _e(x) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return ""
    if isinstance(x, float):
        return f"{x:.4g}"
    return html.escape(str(x))


def _verdict(v: str) -> str:
    return f'<span class="verdict" style="background:{COLOURS.get(v, "#6e7781")}">{_e(v)}</span>'


def _table(df: pd.DataFrame, verdict_col: str | None = None) -> str:
    if df is None or df.empty:
        return "<p>(none)</p>"
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    rows = []
    for _, r in df.iterrows():
        cells = []
        for c in df.columns:
            v = r[c]
            if c == verdict_col:
                cells.append(f"<td>{_verdict(str(v))}</td>")
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                cells.append(f'<td class="num">{_e(v)}</td>')
            else:
                cells.append(f"<td>{_e(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _figure_html(png: Path) -> str:
    stem = png.stem
    cap_path = png.with_name(stem + ".caption.txt")
    caption = cap_path.read_text().strip() if cap_path.exists() else ""
    if not png.exists():
        return (f'<figure id="{_e(stem)}"><p class="missing">Figure {_e(png.name)} is missing '
                f"(not built yet).</p></figure>")
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    cap = _e(caption) if caption else '<span class="missing">no caption file</span>'
    return (f'<figure id="{_e(stem)}"><img alt="{_e(stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption><b>{_e(stem)}</b>. {cap}</figcaption></figure>")


def build_report(profile: str, results_dir, figures_dir, out_html, pngs=None, cfg: dict | None = None) -> Path:
    """Write the HTML report; ``pngs`` (default: every PNG in ``figures_dir``) in that order."""
    from metagrad.audit.run import provenance_table
    from metagrad.io import atomic_write_text

    results_dir, figures_dir, out_html = Path(results_dir), Path(figures_dir), Path(out_html)
    pngs = [Path(p) for p in pngs] if pngs else sorted(figures_dir.glob("*.png"))
    claims_csv = results_dir / "audit" / "claims.csv"
    claims = pd.read_csv(claims_csv) if claims_csv.exists() else pd.DataFrame()
    summary_md = results_dir / "audit" / "summary.md"
    prov_t = provenance_table(results_dir, cfg)
    prov_f = provenance_table(figures_dir, cfg, pattern="*.png", root_label=str(figures_dir.name))
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
             f"<title>Reproduction report — {_e(profile)}</title><style>{CSS}</style></head><body>",
             f"<h1>Vuorio et al. 2022, bias–variance of meta-gradients: reproduction report "
             f"(profile <code>{_e(profile)}</code>)</h1>",
             "<nav><a href='#claims'>Claims</a><a href='#figures'>Figures</a>"
             "<a href='#provenance'>Provenance</a></nav>",
             "<p class='small' id='img-check' data-status='pending'>figures loading…</p>",
             "<h2 id='claims'>Claims</h2>"]
    if claims.empty:
        parts.append(f"<p class='missing'>No audit yet ({_e(claims_csv)} missing).</p>")
    else:
        counts = claims["verdict"].value_counts()
        parts.append("<p>" + " ".join(f"{_verdict(v)} {int(counts.get(v, 0))}"
                                       for v in ("pass", "fail", "inconclusive", "not_run")) + "</p>")
        show = claims[["claim", "figure", "verdict", "statement", "statistic", "value", "ci_low", "ci_high",
                       "paper_value"]]
        parts.append(_table(show, verdict_col="verdict"))
        parts.append("<details><summary>Details of every verdict</summary>")
        parts.append(_table(claims[["claim", "verdict", "detail"]], verdict_col="verdict"))
        parts.append("</details>")
        if summary_md.exists():
            parts.append(f"<p class='small'>Full evidence: <code>{_e(summary_md)}</code>.</p>")
    parts.append("<h2 id='figures'>Figures</h2>")
    if not pngs:
        parts.append(f"<p class='missing'>No figures in {_e(figures_dir)}.</p>")
    parts += [_figure_html(p) for p in pngs]
    parts.append("<h2 id='provenance'>Provenance</h2>")
    for title, prov in (("Tables", prov_t), ("Figures", prov_f)):
        parts.append(f"<h3>{title}</h3>")
        if not prov.empty and (~prov["provenance"].astype(bool)).any():
            parts.append("<p class='missing'>Without a provenance record: "
                         + ", ".join(_e(t) for t in prov.loc[~prov["provenance"].astype(bool), "table"]) + "</p>")
        cols = [c for c in ("table", "rule", "git_commit", "git_dirty", "config_hash", "current_config",
                            "device", "host", "end_time", "wall_seconds", "packages", "problem") if c in prov.columns]
        parts.append(_table(prov[cols] if cols else prov))
    parts.append(f"<script>{CHECK_JS}</script></body></html>")
    atomic_write_text(out_html, "\n".join(parts))
    return out_html
