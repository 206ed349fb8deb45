"""Batch scoring and ingest on a real Dask cluster: a scheduler and two workers on 127.0.0.1."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.cli.main import main
from tests.conftest import ROOT, encode
from tests.e2e.server import free_port


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    fh = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "dask", *args], cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT
    )


def _wait_for_workers(address: str, n: int, procs: list[subprocess.Popen[bytes]], logs: Path) -> None:
    from distributed import Client

    deadline = time.monotonic() + 90
    while True:
        try:
            with Client(address, timeout=5, set_as_default=False) as client:
                client.wait_for_workers(n, timeout=60)
                return
        except (OSError, TimeoutError):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(f"the Dask cluster did not start; see {logs}") from None
            time.sleep(0.5)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """``tcp://127.0.0.1:PORT`` of a running scheduler with two single-threaded workers (no nanny)."""

    logs = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        _start(["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], logs / "scheduler.log")
    ]
    try:
        for i in range(2):
            procs.append(
                _start(
                    [
                        "worker",
                        address,
                        "--host",
                        "127.0.0.1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--nthreads",
                        "1",
                        "--name",
                        f"w{i}",
                    ],
                    logs / f"worker{i}.log",
                )
            )
        _wait_for_workers(address, 2, procs, logs)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Nine files: sharp and soft photos, an exact and a near duplicate, and an unreadable one."""
    import cv2
    from skimage import data

    folder = tmp_path_factory.mktemp("cluster_images")
    photos = {"astronaut": data.astronaut(), "coffee": data.coffee(), "chelsea": data.chelsea()}
    for name, rgb in photos.items():
        (folder / f"{name}.jpg").write_bytes(encode(rgb, "JPEG", quality=90))
        (folder / f"{name}_soft.png").write_bytes(encode(cv2.GaussianBlur(rgb, (0, 0), 3), "PNG"))
    (folder / "zz_copy_of_astronaut.jpg").write_bytes((folder / "astronaut.jpg").read_bytes())
    (folder / "zz_astronaut_q60.jpg").write_bytes(encode(photos["astronaut"], "JPEG", quality=60))
    (folder / "zz_broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return folder


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_cluster_score_equals_local_score_row_for_row(scheduler, images, tmp_path):
    local, remote = tmp_path / "local.csv", tmp_path / "cluster.csv"
    assert main(["score", str(images), "--out", str(local), "--workers", "1"]) == 1  # one unreadable file
    assert main(["score", str(images), "--out", str(remote), "--scheduler", scheduler]) == 1
    a, b = _rows(local), _rows(remote)
    assert len(a) == 9
    assert a == b  # same order, same duplicates, same scores and metrics
    by = {Path(r["path"]).name: r for r in b}
    assert by["zz_copy_of_astronaut.jpg"]["duplicate_of"].endswith("astronaut.jpg")
    assert by["zz_broken.jpg"]["error"] and by["zz_broken.jpg"]["quality_score"] == ""


def test_relative_paths_reach_workers_that_run_in_another_folder(scheduler, images, tmp_path, monkeypatch):
    # The workers run in the checkout; the command runs where the images are, as a user would.
    monkeypatch.chdir(images.parent)
    out = tmp_path / "rel.csv"
    assert main(["score", images.name, f"{images.name}/coffee.jpg", "--out", str(out), "--scheduler", scheduler]) == 1
    rows = _rows(out)
    assert len(rows) == 9  # coffee.jpg, named twice, is one file scored once
    assert all(r["path"].startswith(images.name) for r in rows)  # the paths as given
    assert [Path(r["path"]).name for r in rows if r["error"]] == ["zz_broken.jpg"]  # not "no such file" on each


def test_a_worker_on_another_engine_version_is_refused_before_any_row(scheduler, images, tmp_path, capsys, monkeypatch):
    import core.engine

    monkeypatch.setattr(core.engine, "ENGINE_VERSION", "0.0.0")  # as if this program were older than the workers
    out = tmp_path / "o.csv"
    assert main(["score", str(images / "coffee.jpg"), "--out", str(out), "--scheduler", scheduler]) == 2
    err = capsys.readouterr().err
    assert "this program's engine is 0.0.0" in err and "update those workers' code" in err and not out.exists()


def test_a_scheduler_without_this_code_is_named_before_any_row(images, tmp_path, capsys):
    """Started as the README once said (code on the workers only): the first task used to end in
    a traceback from the scheduler's deserialisation."""

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    installed = subprocess.run([sys.executable, "-c", "import core"], cwd=tmp_path, env=env, capture_output=True)
    if installed.returncode == 0:
        pytest.skip("this program is installed (pip install -e .): every process here can import it")
    bare = subprocess.Popen(
        [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        cwd=tmp_path,  # nowhere near the checkout: 'core' cannot be imported
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = _start(["worker", address, "--host", "127.0.0.1", "--no-nanny", "--nthreads", "1"], tmp_path / "w.log")
    try:
        _wait_for_workers(address, 1, [bare, worker], tmp_path)
        out = tmp_path / "o.csv"
        assert main(["score", str(images / "coffee.jpg"), "--out", str(out), "--scheduler", address]) == 2
        err = capsys.readouterr().err
        assert f"the Dask scheduler at {address} cannot import this program" in err and "PYTHONPATH" in err
        assert not out.exists()
    finally:
        for p in (worker, bare):
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_cluster_workers_never_import_pandas_or_streamlit(scheduler, images, tmp_path):
    from distributed import Client

    assert main(["score", str(images / "coffee.jpg"), "--out", str(tmp_path / "o.csv"), "--scheduler", scheduler]) == 0
    with Client(scheduler, timeout=5, set_as_default=False) as client:
        loaded = client.run(
            lambda: sorted(
                m for m in ("pandas", "streamlit", "sqlalchemy", "plotly", "core.engine.batch") if m in sys.modules
            )
        )
    assert loaded, "no worker answered"
    # A worker that ran a task imported the engine's batch module and nothing heavier.
    assert all(set(mods) <= {"core.engine.batch"} for mods in loaded.values()), loaded
    assert any("core.engine.batch" in mods for mods in loaded.values()), loaded


def test_cluster_workers_run_opencv_on_one_thread(scheduler, images, tmp_path):
    # Dask's threads and processes are the parallelism; OpenCV's own pool would oversubscribe.
    import cv2
    from distributed import Client

    with Client(scheduler, timeout=5, set_as_default=False) as client:
        default = client.run(cv2.getNumThreads)
    assert main(["score", str(images / "coffee.jpg"), "--out", str(tmp_path / "o.csv"), "--scheduler", scheduler]) == 0
    with Client(scheduler, timeout=5, set_as_default=False) as client:
        threads = client.run(cv2.getNumThreads)
    assert len(threads) == 2 and set(threads.values()) == {1}, (default, threads)


def test_cluster_ingest_equals_local_ingest(scheduler, images, tmp_path):
    from core.store.database import open_store
    from core.store.queries import list_images

    results = {}
    for name, extra in (("local", []), ("cluster", ["--scheduler", scheduler])):
        root = tmp_path / name
        assert main(["--data-dir", str(root), "ingest", str(images), "--merchant", "acme", *extra]) == 1
        store = open_store(root)
        try:
            results[name] = [(r.file_name, r.sha256, r.score, r.issues) for r in list_images(store, profile="generic")]
        finally:
            store.dispose()
    assert results["local"] == results["cluster"]
    assert len(results["local"]) == 7  # 9 files: one exact duplicate, one unreadable


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:{port}", "not-an-address", "http://127.0.0.1:80"])
def test_unreachable_or_malformed_scheduler_fails_fast_with_exit_2(address, images, tmp_path, capsys):
    address = address.format(port=free_port())  # a free port: nobody listens there
    started = time.monotonic()
    code = main(
        [
            "score",
            str(images / "coffee.jpg"),
            "--out",
            str(tmp_path / "o.csv"),
            "--scheduler",
            address,
            "--connect-timeout",
            "2",
        ]
    )
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 2
    assert "scheduler" in err.lower() and address.split("://")[-1] in err
    assert elapsed < 15, f"took {elapsed:.1f} s to give up"


def test_score_command_imports_no_pandas_streamlit_or_database(images, tmp_path):
    code = (
        "import sys; from core.cli.main import main; "
        f"rc = main(['score', {str(images / 'coffee.jpg')!r}, '--out', {str(tmp_path / 'o.csv')!r}, '--workers', '1']); "
        "print(sorted(m for m in ('pandas', 'streamlit', 'sqlalchemy', 'plotly', 'distributed') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
