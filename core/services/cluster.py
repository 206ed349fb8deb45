"""Batch work on an existing Dask cluster: connect to its scheduler and hand out an executor.

The scheduler and workers are started elsewhere (``dask scheduler``, ``dask worker ADDRESS``;
see the README, "Running for a team"). Workers run only engine code (decode and measure); the
ordering, duplicate detection, scoring and every database write stay in the calling process.
Workers must be able to import ``core`` (same version) and, for ``score``, read the same paths.
"""

from __future__ import annotations

import contextlib
import pkgutil
import re
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import Any, Final

__all__ = ["DEFAULT_CONNECT_TIMEOUT", "ClusterError", "cluster_executor", "check_address"]

#: Seconds to wait for the scheduler before giving up (a wrong address fails this fast).
DEFAULT_CONNECT_TIMEOUT: Final = 5.0

_ADDRESS = re.compile(r"^(tcp|tls|ws|wss)://[^\s/:]+(:\d{1,5})?/?$|^(tcp|tls|ws|wss)://\[[0-9a-fA-F:]+\](:\d{1,5})?/?$")


class ClusterError(RuntimeError):
    """The scheduler address is malformed or nobody answered there in time."""


def check_address(address: str) -> str:
    """``address`` if it looks like ``tcp://HOST:PORT`` (or tls/ws/wss); otherwise ClusterError."""
    address = address.strip()
    if not _ADDRESS.match(address):
        raise ClusterError(f"'{address}' is not a Dask scheduler address; expected something like tcp://10.0.0.5:8786")
    return address


def _check_code(client: Any, address: str) -> None:
    """Fail now, in a sentence, if the scheduler cannot read this program's tasks or a worker runs
    another engine version (whose measurements would differ), rather than with a traceback from
    the first task. ``pkgutil.resolve_name`` travels by name, so it needs nothing of ``core``."""
    from core.engine import ENGINE_VERSION

    how = "start it with PYTHONPATH set to this program's folder, as the README's 'Dask cluster' step shows"
    try:
        client.run_on_scheduler(pkgutil.resolve_name, "core.engine.batch:__name__")
    except Exception as exc:  # noqa: BLE001 - whatever the remote import raised
        raise ClusterError(f"the Dask scheduler at {address} cannot import this program ({exc}); {how}") from exc
    try:
        versions = client.run(pkgutil.resolve_name, "core.engine:ENGINE_VERSION")
    except Exception as exc:  # noqa: BLE001
        raise ClusterError(f"a Dask worker at {address} cannot import this program ({exc}); {how}") from exc
    other = sorted({f"{worker} runs engine {v}" for worker, v in versions.items() if v != ENGINE_VERSION})
    if other:
        raise ClusterError(
            f"this program's engine is {ENGINE_VERSION}, but {'; '.join(other)}: update those workers' code"
        )


def _probe(address: str, timeout: float) -> None:
    """Fail within about ``timeout`` seconds unless a Dask server answers at ``address``.

    ``Client`` waits for the reply to its greeting without a limit: a port that accepts and says
    nothing (the app's own 8501, any HTTP server) hung it for good, and one that answers in
    another protocol failed with whatever its bytes decoded to (a 3 EiB allocation)."""
    import asyncio

    from distributed.comm.core import connect
    from distributed.security import Security

    args = Security().get_connection_args("client")

    async def greet() -> None:
        comm = await asyncio.wait_for(connect(address, timeout=timeout, **args), timeout)
        await comm.close()

    try:
        asyncio.run(greet())
    except (OSError, TimeoutError) as exc:
        why = str(exc) or "the connection was taken but nothing answered, as a web server's port does"
        raise ClusterError(f"no Dask scheduler answered at {address} within {timeout:g} s ({why})") from exc
    except Exception as exc:  # noqa: BLE001 - whatever the other protocol's bytes decoded to
        raise ClusterError(
            f"what answers at {address} is not a Dask scheduler (its reply is not Dask's); "
            "check the address and port (the scheduler's default is 8786)"
        ) from exc


@contextlib.contextmanager
def cluster_executor(address: str, *, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> Iterator[Executor]:
    """A ``concurrent.futures`` executor whose tasks run on the cluster at ``address``.

    Raises :class:`ClusterError` within about ``timeout`` seconds if the address is malformed or
    no scheduler answers there (nobody, or a server of another kind). The connection is closed on exit.
    """
    address = check_address(address)
    from distributed import Client  # imported only when a cluster is asked for

    from core.services.cluster_setup import BatchWorkerSetup

    _probe(address, timeout)
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"no Dask scheduler answered at {address} within {timeout:g} s ({exc})") from exc
    try:
        if not client.scheduler_info().get("workers"):
            with contextlib.suppress(TimeoutError, OSError):
                client.wait_for_workers(1, timeout=timeout)
        if not client.scheduler_info().get("workers"):
            raise ClusterError(
                f"the Dask scheduler at {address} has no workers; start some with 'dask worker {address}'"
            )
        _check_code(client, address)
        client.register_plugin(BatchWorkerSetup(), name="imagedesk-batch-setup")
        yield client.get_executor()
    finally:
        client.close()
