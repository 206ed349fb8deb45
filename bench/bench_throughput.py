"""``score`` throughput on 2400x1800 JPEGs: 1 and 2 local workers, a 2-worker Dask cluster, and
CleanVision with 2 processes on the same files (issue 9 target: at least 5x CleanVision).

Run: ``python bench/bench_throughput.py [--images 40] [--repeat 3]``. Each configuration runs
the real command (``python -m core score FOLDER --out CSV ...``) in a fresh process, so the
figures include interpreter start, imports and pool start-up, as a user sees them. The cluster
(``dask scheduler`` + two ``dask worker --nthreads 1 --no-nanny``) is started on 127.0.0.1 and
free ports before timing and stopped afterwards. CleanVision is timed in-process
(``Imagelab(...).find_issues(n_jobs=2)``) plus its own import. Results: ``bench/out/throughput.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
from common import OUT, ROOT, jpeg, machine, photos


def make_images(folder: Path, n: int) -> None:
    pics = list(photos().values())
    for i in range(n):
        base = cv2.resize(pics[i % len(pics)], (2400, 1800), interpolation=cv2.INTER_CUBIC)
        (folder / f"img_{i:03d}.jpg").write_bytes(jpeg(base, 90))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def local_cluster(workers: int = 2) -> Iterator[str]:
    """A real scheduler and ``workers`` single-threaded worker processes on 127.0.0.1."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT, "env": env}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            **quiet,
        )
    ]  # type: ignore[call-overload]
    try:
        procs += [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dask",
                    "worker",
                    address,
                    "--host",
                    "127.0.0.1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--nthreads",
                    "1",
                ],
                **quiet,
            )  # type: ignore[call-overload]
            for _ in range(workers)
        ]
        deadline = time.monotonic() + 90
        while True:
            try:
                with Client(address, timeout=5, set_as_default=False) as c:
                    c.wait_for_workers(workers, timeout=60)
                    # Workers import the engine once, as they would after their first task.
                    c.run(lambda: __import__("core.engine.batch"))
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def time_score(folder: Path, extra: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        with tempfile.NamedTemporaryFile(suffix=".csv") as out:
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "core", "score", str(folder), "--out", out.name, *extra],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def time_cleanvision(folder: Path, repeat: int) -> float | None:
    code = (
        "import time; t = time.perf_counter(); from cleanvision import Imagelab; "
        f"lab = Imagelab(data_path={str(folder)!r}, verbose=False); lab.find_issues(n_jobs=2, verbose=False); "
        "print(time.perf_counter() - t)"
    )
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if r.returncode != 0:
            print("CleanVision not available:", r.stderr.strip().splitlines()[-1:], file=sys.stderr)
            return None
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.images
    res: dict[str, object] = {
        "machine": machine(),
        "images": n,
        "image_size": "2400x1800 JPEG q90",
        "note": "wall time of the whole command, median of --repeat runs",
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_images(folder, n)
        runs: dict[str, float] = {}
        runs["score --workers 1"] = time_score(folder, ["--workers", "1"], args.repeat)
        runs["score --workers 2"] = time_score(folder, ["--workers", "2"], args.repeat)
        with local_cluster(2) as address:
            runs["score --scheduler (2 workers)"] = time_score(folder, ["--scheduler", address], args.repeat)
        cv = time_cleanvision(folder, args.repeat)
        if cv is not None:
            runs["cleanvision n_jobs=2"] = cv
    res["seconds"] = {k: round(v, 2) for k, v in runs.items()}
    res["images_per_s"] = {k: round(n / v, 1) for k, v in runs.items()}
    if "cleanvision n_jobs=2" in runs:
        res["speedup_vs_cleanvision_2_processes"] = round(runs["cleanvision n_jobs=2"] / runs["score --workers 2"], 2)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "throughput.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
