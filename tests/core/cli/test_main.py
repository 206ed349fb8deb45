import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.cli.main import main
from core.engine.batch import CSV_COLUMNS
from tests.conftest import ROOT, encode


@pytest.fixture()
def folder(tmp_path, photo):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.jpg").write_bytes(encode(photo, "JPEG", quality=90))
    (tmp_path / "sub" / "b.png").write_bytes(encode(photo))
    (tmp_path / "sub" / "dup.jpg").write_bytes((tmp_path / "a.jpg").read_bytes())
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    (tmp_path / "notes.txt").write_text("ignored: not an image extension")
    return tmp_path


def test_score_folder_writes_rows_and_exit_1_for_unreadable(folder, capsys):
    out = folder / "out.csv"
    code = main(["score", str(folder), "--out", str(out), "--workers", "2", "--profile", "amazon"])
    assert code == 1
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [Path(r["path"]).name for r in rows] == ["a.jpg", "broken.jpg", "b.png", "dup.jpg"]
    assert list(rows[0].keys()) == list(CSV_COLUMNS)
    by = {Path(r["path"]).name: r for r in rows}
    assert by["broken.jpg"]["error"] and by["broken.jpg"]["quality_score"] == ""
    assert 0 <= float(by["a.jpg"]["quality_score"]) <= 100 and by["a.jpg"]["error"] == ""
    assert "duplicate" in by["dup.jpg"]["issues"].split(";") and by["dup.jpg"]["duplicate_of"].endswith("a.jpg")
    assert "non_white_background" in by["a.jpg"]["issues"]
    assert "1 unreadable" in capsys.readouterr().err


def test_score_all_readable_exits_0(folder):
    assert main(["score", str(folder / "a.jpg"), "--out", str(folder / "o.csv")]) == 0


def test_usage_errors_exit_2(folder, capsys):
    assert main(["score", str(folder / "a.jpg"), "--profile", "nope"]) == 2
    assert main(["score", str(folder / "missing.jpg")]) == 2
    with pytest.raises(SystemExit) as e:
        main(["score"])
    assert e.value.code == 2


def test_optimize_auto_and_recipe(folder, capsys):
    dark = (np.asarray(__import__("skimage").data.astronaut()) * 0.3).astype(np.uint8)
    src = folder / "dark.png"
    src.write_bytes(encode(dark))
    out = folder / "fixed.png"
    assert main(["optimize", str(src), str(out), "--auto"]) == 0
    printed = capsys.readouterr().out
    ops = [s["op"] for s in json.loads(printed)["steps"]]
    assert ops and ops[0] == "contrast_stretch" and out.exists()
    from core.engine.loading import load_image

    assert load_image(out).pixels.mean() > dark.mean() + 30  # written brighter
    recipe = folder / "r.json"
    recipe.write_text(json.dumps({"steps": [{"op": "resize", "params": {"long_side": 100}}]}))
    assert main(["optimize", str(src), str(folder / "small.jpg"), "--recipe", str(recipe)]) == 0
    from PIL import Image

    assert Image.open(folder / "small.jpg").size == (100, 100)
    recipe.write_text("{bad json")
    assert main(["optimize", str(src), str(folder / "x.jpg"), "--recipe", str(recipe)]) == 2


def test_profiles_lists_every_marketplace(capsys):
    assert main(["profiles"]) == 0
    text = capsys.readouterr().out
    for name in ("generic", "amazon", "shopify", "ebay", "walmart", "google"):
        assert f"{name}:" in text


def test_module_entry_point_runs(folder):
    proc = subprocess.run(
        [sys.executable, "-m", "core", "score", str(folder / "a.jpg"), "--workers", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert len(rows) == 1 and rows[0]["quality_score"]


def test_store_commands(tmp_path, photo, capsys):
    data = str(tmp_path / "data")
    (tmp_path / "a.png").write_bytes(encode(photo))
    assert main(["--data-dir", data, "users", "add", "rita", "--role", "reviewer", "--password", "long enough"]) == 0
    assert main(["--data-dir", data, "users", "add", "x", "--role", "reviewer", "--password", "short"]) == 2
    assert (
        main(
            [
                "--data-dir",
                data,
                "users",
                "add",
                "mia",
                "--role",
                "merchant",
                "--merchant",
                "acme",
                "--password",
                "long enough",
            ]
        )
        == 0
    )
    assert main(["--data-dir", data, "users", "list"]) == 0
    listing = capsys.readouterr().out
    assert "rita" in listing and "acme" in listing
    assert main(["--data-dir", data, "ingest", str(tmp_path / "a.png"), "--merchant", "acme"]) == 0
    assert "added" in capsys.readouterr().out
    from core.store.database import open_store
    from core.store.queries import list_images
    from core.store.reviews import decide

    s = open_store(data)
    decide(
        s,
        version_id=list_images(s)[0].version_id,
        reviewer="rita",
        decision="approved",
        comment="=2+2",
        profile="generic",
    )
    s.dispose()
    out = tmp_path / "fb.csv"
    assert main(["--data-dir", data, "export", "--out", str(out), "--reviewer", "rita"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["comment"] == "'=2+2" and rows[0]["merchant_id"] == "acme"


def test_assess_paths_runs_on_any_executor(folder):
    """The hook a distributed engine plugs into: results are the same as in-process, in order."""
    from concurrent.futures import ThreadPoolExecutor

    from core.engine.batch import assess_paths
    from core.engine.profiles import load_profile

    profile = load_profile("generic")
    local = [
        (r.path, r.error, r.assessment and round(r.assessment.score, 6))
        for r in assess_paths([folder], profile, workers=1)
    ]
    with ThreadPoolExecutor(3) as pool:
        remote = [
            (r.path, r.error, r.assessment and round(r.assessment.score, 6))
            for r in assess_paths([folder], profile, executor=pool)
        ]
    assert remote == local and len(local) == 4


def test_assess_paths_process_pool_equals_one_process_and_restores_opencv_threads(folder):
    """Pool workers run OpenCV on one thread (set in the parent before forking); the parent gets
    its own setting back, and the rows are those of a one-process run."""
    import cv2

    from core.engine.batch import assess_paths
    from core.engine.profiles import load_profile

    profile = load_profile("generic")
    cv2.setNumThreads(2)

    def rows(workers: int) -> list[tuple[str, str, dict[str, float]]]:
        return [
            (
                r.path,
                r.error,
                {k: round(v, 9) for k, v in r.assessment.metrics.items() if v == v} if r.assessment else {},
            )
            for r in assess_paths([folder], profile, workers=workers)
        ]

    local = rows(1)
    assert rows(2) == local and len(local) == 4 and sum(bool(m) for _, _, m in local) >= 3
    assert cv2.getNumThreads() == 2


def test_score_limits_refuse_with_reason(folder):
    out = folder / "limited.csv"
    assert main(["score", str(folder / "a.jpg"), "--out", str(out), "--max-megapixels", "0.1", "--workers", "1"]) == 1
    row = next(csv.DictReader(out.open(encoding="utf-8")))
    assert "(0.3 MP); the limit is 0.1 MP" in row["error"]
    assert main(["score", str(folder / "a.jpg"), "--out", str(out), "--max-mb", "0.001", "--workers", "1"]) == 1
    row = next(csv.DictReader(out.open(encoding="utf-8")))
    assert "the limit is 0.001 MB" in row["error"] and row["quality_score"] == ""


def test_score_folder_scores_phone_heic_and_avif_and_names_what_it_cannot_read(tmp_path, photo):
    (tmp_path / "ok.jpg").write_bytes(encode(photo, "JPEG", quality=90))
    (tmp_path / "phone.HEIC").write_bytes(encode(photo, "HEIF", quality=90))
    (tmp_path / "web.avif").write_bytes(encode(photo, "AVIF", quality=90))
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    (tmp_path / "cut.heic").write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64)
    out = tmp_path / "out.csv"
    assert main(["score", str(tmp_path), "--out", str(out), "--workers", "1"]) == 1
    by = {Path(r["path"]).name: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert set(by) == {"ok.jpg", "phone.HEIC", "web.avif", "logo.svg", "cut.heic"}
    assert by["phone.HEIC"]["format"] == "HEIF" and by["web.avif"]["format"] == "AVIF"
    for name in ("ok.jpg", "phone.HEIC", "web.avif"):
        assert by[name]["error"] == "" and float(by[name]["quality_score"]) > 0
    assert "SVG" in by["logo.svg"]["error"] and by["logo.svg"]["quality_score"] == ""
    assert "HEIC" in by["cut.heic"]["error"] and "damaged" in by["cut.heic"]["error"]


def test_rescore_remeasures_stale_images(tmp_path, photo, capsys):
    from sqlalchemy import update

    from core.store.database import analyses, open_store

    data = str(tmp_path / "data")
    src = tmp_path / "a.png"
    src.write_bytes(encode(photo))
    assert main(["--data-dir", data, "ingest", str(src), "--merchant", "m1"]) == 0
    store = open_store(data, database_url=None)
    with store.write() as conn:
        conn.execute(update(analyses).values(engine_version="0.9"))
    store.dispose()
    capsys.readouterr()
    assert main(["--data-dir", data, "rescore"]) == 0
    assert "1 stored image(s) were measured by an older engine" in capsys.readouterr().out
    assert main(["--data-dir", data, "rescore", "--remeasure", "--limit", "0"]) == 2
    assert main(["--data-dir", data, "rescore", "--remeasure"]) == 0
    out = capsys.readouterr().out
    assert "re-measured 1 image(s)" in out and "0 still stale" in out
