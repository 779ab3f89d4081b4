import io
import json

from metagrad import provenance as prov
from metagrad.config import config_hash, load_config
from metagrad.progress import NullProgress, Progress


def test_record_has_required_fields(tmp_path):
    cfg = load_config("smoke")
    sec = cfg["experiments"]["landscape"]
    rec = prov.make_record(kind="experiment", name="landscape", cfg=cfg, section=sec,
                           start_time=prov.now_iso(), end_time=prov.now_iso(), wall_seconds=1.23456,
                           seeds=[0], outputs=["x.parquet"], import_jax=True)
    for field in prov.REQUIRED_FIELDS:
        assert field in rec, field
    assert rec["config_hash"] == config_hash(cfg) and rec["section_hash"] == config_hash(sec)
    assert rec["seed"] == 0 and rec["seeds"] == [0] and rec["profile"] == "smoke"
    for pkg in ("jax", "jaxlib", "flax", "optax", "brax", "evosax", "numpy", "pandas", "seaborn", "snakemake"):
        assert rec["packages"][pkg], pkg
    assert rec["python"].startswith("3.")
    assert rec["jax_backend"] in ("cpu", "gpu", "cuda", "tpu", "rocm")
    assert rec["jax_devices"]
    assert rec["git_dirty"] in (True, False, None)
    assert rec["wall_seconds"] == 1.235

    path = prov.provenance_path(tmp_path / "landscape.parquet")
    assert path.name == "landscape.provenance.json"
    prov.write_record(path, rec)
    assert json.loads(path.read_text())["config"] == cfg


def test_git_info_outside_repo(tmp_path):
    info = prov.git_info(tmp_path)
    assert info["git_commit"] is None and info["git_dirty"] is None


def test_progress_rate_limited():
    t = [0.0]
    out = io.StringIO()
    p = Progress(total=100, desc="x", interval=5.0, stream=out, clock=lambda: t[0])
    for _ in range(99):
        t[0] += 0.01
        p.update()
    assert p.lines_written == 1  # first update only (less than 5 s elapsed)
    t[0] += 10
    p.update()
    assert p.lines_written == 2
    p.close()
    assert p.lines_written == 2
    last = out.getvalue().strip().splitlines()[-1]
    assert "100/100" in last and "ETA" in last and "it/s" in last


def test_null_progress_silent(capsys):
    p = NullProgress(total=3)
    for _ in range(3):
        p.update()
    p.close()
    assert capsys.readouterr().err == ""
