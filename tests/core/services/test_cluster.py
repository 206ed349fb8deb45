"""Connecting to a Dask scheduler (core.services.cluster): a wrong address fails within the
timeout, in a sentence, whatever listens there. (Scoring on a real cluster: tests/core/cli/test_cluster.py.)"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from core.services.cluster import ClusterError, cluster_executor


@contextlib.contextmanager
def _listener(reply: bytes, *, hold_s: float = 20.0) -> Iterator[str]:
    """``tcp://127.0.0.1:PORT`` of a server that is not Dask: it accepts, sends ``reply`` (an HTTP
    server waiting for its request sends nothing), and closes the connection after ``hold_s``."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(reply)
                stop.wait(hold_s)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        server.close()


@pytest.mark.parametrize(
    "reply",
    [b"", b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"],
    ids=["silent, like the app's own port", "answers in HTTP"],
)
def test_a_port_where_something_else_listens_fails_within_the_timeout(reply):
    with _listener(reply) as address:
        started = time.monotonic()
        with pytest.raises(ClusterError, match="Dask scheduler") as raised:
            with cluster_executor(address, timeout=2):
                pass
        elapsed = time.monotonic() - started
    assert address in str(raised.value)
    assert elapsed < 8, f"took {elapsed:.1f} s to give up"
