"""Set up each Dask worker as a batch process (imported only when a cluster is used: needs Dask)."""

from __future__ import annotations

import cv2
from distributed import Worker
from distributed.diagnostics.plugin import WorkerPlugin

from core.engine.batch import tune_allocator

__all__ = ["BatchWorkerSetup"]


class BatchWorkerSetup(WorkerPlugin):
    """Run OpenCV on one thread in every worker, including workers that join later, and tune the
    allocator as local batch workers do.

    Parallelism comes from Dask's worker threads and processes (Dask sets BLAS and OpenMP to one
    thread for the same reason). Without it each task ran OpenCV with a thread per core, so two
    single-threaded workers on a 2-core machine queued four threads for two cores.
    """

    idempotent = True  # registered again by the next job: not run again

    def setup(self, worker: Worker) -> None:
        cv2.setNumThreads(1)
        tune_allocator()
