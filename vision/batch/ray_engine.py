"""The Ray engine of ``dorsiflex batch --engine ray``: the same per-clip function as the process pool
(:func:`vision.batch.run.run_clip`), mapped over Ray actors that each build their pose model once.

Ray is an optional extra (``pip install 'dorsiflex[cluster]'``: the core ``ray`` package), imported only when
this engine runs. Without an address a local Ray is started with one CPU per worker and stopped at the end;
with one, the batch joins that cluster: every node needs this version of dorsiflex installed and must reach
the clips at the same absolute paths (a shared folder). Results come back to the process running the batch,
which alone writes the store, the table and the JSON files.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from vision.batch.run import (
    STATUS_CRASHED,
    ClipJob,
    ClipResult,
    PoseModels,
    default_workers,
    peak_rss_mb,
    run_clip,
)
from vision.errors import InputError

CONNECT_TIMEOUT_S = 10.0
#: Ray 2.59+ `ray start` turns token authentication on; a driver joining the cluster must turn it on too.
TOKEN_HINT = (
    "if the cluster uses token authentication, set RAY_AUTH_MODE=token here, with its token in "
    "~/.ray/auth_token or RAY_AUTH_TOKEN"
)
#: Object store of a local Ray: results are small JSON-like objects; Ray's default (30% of the RAM) is waste.
LOCAL_OBJECT_STORE_BYTES = 256 * 2**20


class ClipActor:
    """One Ray worker: its pose models, built on the first clip and reused for every other."""

    def __init__(self) -> None:
        self._models = PoseModels()

    def measure(self, job: ClipJob, keep_measurement: bool) -> ClipResult:
        result = run_clip(job, self._models, keep_measurement)
        return dataclasses.replace(result, worker_peak_mb=peak_rss_mb())


def import_ray() -> Any:
    """The ``ray`` module, or an :class:`InputError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise InputError(
            "--engine ray needs Ray: pip install 'dorsiflex[cluster]' (the core package, ray==2.60.*)"
        ) from None
    return ray


class RayPool:
    """Clips mapped over ``workers`` Ray actors (default: one per CPU here, or per CPU of the cluster at
    ``address``). A clip whose actor dies gets a ``crashed`` result and a new actor takes its place."""

    def __init__(
        self, workers: int | None = None, address: str | None = None, keep_measurement: bool = False
    ):
        self.workers = workers
        self.address = address
        self.keep_measurement = keep_measurement
        self._started = False

    def map(self, jobs: Sequence[ClipJob]) -> Iterator[ClipResult]:
        """Measure ``jobs``; yield each result as it finishes. Closing the iterator stops the actors (and the
        local Ray, or the connection to the cluster, if this pool started it)."""
        if not jobs:
            self.close()
            return
        ray = import_ray()
        actors: list[Any] = []
        try:
            self.connect()
            workers = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
            actor_class = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(ClipActor)
            idle = [actor_class.remote() for _ in range(min(workers, len(jobs)))]
            actors += idle
            pending = deque(jobs)
            running: dict[Any, tuple[Any, ClipJob]] = {}
            while pending or running:
                while pending and idle:
                    actor, job = idle.pop(), pending.popleft()
                    running[actor.measure.remote(job, self.keep_measurement)] = (actor, job)
                ready, _ = ray.wait(list(running), num_returns=1)
                for ref in ready:
                    actor, job = running.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayActorError as err:
                        result = _crashed(
                            job, f"the Ray worker measuring this clip died ({type(err).__name__})"
                        )
                        actor = actor_class.remote()
                        actors.append(actor)
                    except ray.exceptions.RayError as err:
                        result = _crashed(job, f"Ray could not measure this clip ({type(err).__name__})")
                    idle.append(actor)
                    yield result
        finally:
            for actor in actors:
                ray.kill(actor)
            self.close()

    def connect(self) -> None:
        """Start a local Ray, or join the cluster at ``address`` (:meth:`map` does it if not done before).
        Raises :class:`InputError` when Ray is missing or the cluster cannot be reached."""
        ray = import_ray()
        if ray.is_initialized():
            return
        if self.address:
            _check_reachable(self.address)
        quiet = {"logging_level": logging.ERROR, "log_to_driver": False}
        try:
            if self.address:
                ray.init(address=self.address, **quiet)
            else:
                ray.init(
                    address="local",  # a new Ray of our own, even if another runs on this machine
                    num_cpus=self.workers or default_workers(),
                    include_dashboard=False,
                    object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                    **quiet,
                )
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as err:
            where = f"join the Ray cluster at {self.address}" if self.address else "start a local Ray"
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            hint = f" ({TOKEN_HINT})" if self.address and os.environ.get("RAY_AUTH_MODE") is None else ""
            raise InputError(f"cannot {where}: {first}{hint}") from None
        self._started = True

    def close(self) -> None:
        """Stop the local Ray, or leave the cluster, if :meth:`connect` started the connection."""
        if self._started:
            import_ray().shutdown()
            self._started = False


def _check_reachable(address: str) -> None:
    """Fail in seconds, not minutes (Ray retries for long), when nothing answers at ``host:port``."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or "://" in address:
        return  # "auto", a ray:// client address: left to Ray
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:
        raise InputError(
            f"cannot reach the Ray cluster at {address}: {err.strerror or err} (is `ray start --head` "
            "running there, and is its port open?)"
        ) from None


def _crashed(job: ClipJob, reason: str) -> ClipResult:
    return ClipResult(str(job.path), job.key, STATUS_CRASHED, reason)
