"""A throw-away PostgreSQL server for tests and benchmarks: ``initdb`` + ``pg_ctl`` from Debian's
``postgresql`` package, run as the ``postgres`` user when we are root, on 127.0.0.1 and a free
port, in a temporary folder; stopped (and the folder removed) at the end."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["PgServer", "pg_bin_dir", "running_postgres"]


def pg_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<ver>/bin`` holding ``initdb`` and ``pg_ctl`` (or ``$PG_BIN``)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """A running server: ``url(dbname)`` for SQLAlchemy, ``create_database`` for a fresh one."""

    def __init__(self, port: int, user: str) -> None:
        self.port = port
        self.user = user
        self._n = 0

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create_database(self, prefix: str = "t", *, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``); returns its URL."""
        self._n += 1
        name = f"{prefix}_{os.getpid()}_{self._n}"
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[-1]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def running_postgres(*, timeout: float = 60.0) -> Iterator[PgServer]:
    """Start a private server (as ``postgres`` if we are root), yield it, stop it."""
    bindir = pg_bin_dir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL binaries (install Debian's 'postgresql' package)")
    as_root = os.geteuid() == 0
    user = "postgres" if as_root else (os.environ.get("USER") or "postgres")
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    folder = Path(tempfile.mkdtemp(prefix="imagedesk-pg-"))
    data = folder / "data"
    if as_root:
        shutil.chown(folder, user="postgres")
    port = _free_port()
    log = folder / "server.log"
    subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
    )
    opts = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=100 -c shared_buffers=64MB"
    )
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-o",
            opts,
            "-w",
            "-t",
            str(int(timeout)),
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        server = PgServer(port, user)
        deadline = time.monotonic() + timeout
        while True:
            try:
                server._admin("SELECT 1")
                break
            except Exception:  # noqa: BLE001 - not accepting connections yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield server
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)
