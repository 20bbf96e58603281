"""Running the service: one process, or a supervisor and N forked worker processes sharing one
listening socket; graceful shutdown either way.

The socket is bound here, before any fork, with a long listen backlog. Before it is served,
a request that matches no route makes FastAPI build every route's dependencies and validators
(it builds them on a route's first match), as ``service.warmup`` loads what verification
needs: the first requests no longer wait some 0.3-1 s behind a start-up. The p99 "stall" at
64 connections was uvloop's (see ``_config``). What is loaded by then is frozen for the cycle
collector (``batch.collector_spares_the_loaded_program``): collections no longer walk it, and
forked workers share it copy-on-write. Each worker opens its own database connections: the
engine's pool is dropped in the child without closing the parent's sockets.

On SIGTERM or SIGINT a worker stops accepting, finishes the requests in flight (for at most
``graceful`` seconds), and exits; the supervisor passes the signal on to its workers and waits
for them. A worker that dies otherwise (a crash, the kernel's OOM killer) is replaced.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException

from healthcert.batch import collector_spares_the_loaded_program

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import Message

    from healthcert.service.context import ServiceContext

log = logging.getLogger("healthcert.server")
# Connections the kernel queues before the server accepts them: a burst of new connections
# (a load balancer opening its pool, clients reconnecting after a restart) waits there
# instead of being refused or retried after a second's SYN timeout.
BACKLOG = 4096
GRACEFUL_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Listen:
    host: str
    port: int
    workers: int = 1
    graceful: int = GRACEFUL_SECONDS


def bind(listen: Listen) -> socket.socket:
    """The listening socket, bound once for every worker."""
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    sock = socket.create_server((listen.host, listen.port), family=family, backlog=BACKLOG)
    # Inherited by every accepted connection: an answer goes out at once, never held back by
    # Nagle's algorithm until the client's delayed ACK (40 ms a request). asyncio sets it only
    # on sockets it creates itself.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.set_inheritable(True)
    return sock


# Starts the service's background jobs (the outbox, the retention purge) and returns what
# stops them.
Jobs = Callable[[], Callable[[], None]]
JOBS_PROCESS_NAME = "healthcert-jobs"


def run(app: FastAPI, ctx: ServiceContext, listen: Listen, sock: socket.socket, jobs: Jobs) -> None:
    """Serve ``app`` on ``sock`` (see ``bind``) until SIGTERM or SIGINT, the ``jobs`` beside
    it; with several workers, in forked processes, the jobs in one of their own."""
    asyncio.run(_match_every_route(app))
    with closing(sock), collector_spares_the_loaded_program():
        if listen.workers <= 1:
            stop = jobs()
            try:
                _serve(app, sock, listen)
            finally:
                stop()
        else:
            # The parent's connections must not be shared with the children: dropped now.
            ctx.engine.dispose()
            serving = [lambda: _child(app, ctx, sock, listen)] * listen.workers
            Supervisor([*serving, lambda: _jobs_child(ctx, sock, jobs)], sock).run()


async def _match_every_route(app: FastAPI) -> None:
    """Route a request that no route matches, so that matching builds every route's
    dependencies and validators now: FastAPI builds them on a route's first match (some
    0.3 s for the first request, with every request behind it waiting). Through the router
    alone: no access log line, no metrics."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/.well-known/healthcert-start-up",
        "raw_path": b"/.well-known/healthcert-start-up",
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
        "state": {},
        "app": app,
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Message) -> None:
        pass

    with suppress(HTTPException):  # the router's 404, answered by the app's handlers
        await app.router(scope, receive, send)


def _config(app: FastAPI, listen: Listen) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        # asyncio's own loop, not uvloop: measured with wrk at 64 connections, uvloop left
        # some connections unread for up to 1.3 s while the loop was never busy for more than
        # ~0.1 s (p99 0.9 s); asyncio, with TCP_NODELAY (``bind``): p99 71 ms, max 83 ms, at
        # the same requests/s.
        loop="asyncio",
        log_config=None,
        access_log=False,
        backlog=BACKLOG,
        timeout_graceful_shutdown=listen.graceful,
    )


def _serve(app: FastAPI, sock: socket.socket, listen: Listen) -> None:
    StoppingServer(_config(app, listen)).run(sockets=[sock])


def _child(app: FastAPI, ctx: ServiceContext, sock: socket.socket, listen: Listen) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    ctx.engine.dispose(close=False)  # the pool's connections, if any, are the parent's
    with suppress(SQLAlchemyError), ctx.engine.connect():
        pass  # its own first connection now, not in its first request (a down database waits)
    StoppingServer(_config(app, listen), os.getppid()).run(sockets=[sock])


def _jobs_child(ctx: ServiceContext, sock: socket.socket, jobs: Jobs) -> None:
    """The background jobs in a process of their own, so that the supervisor, which forks
    again whenever a worker dies, never has a thread: a fork while another thread holds a lock
    (logging's, the connection pool's) would leave the new worker waiting on it forever."""
    sock.close()  # this process answers no request
    ctx.engine.dispose(close=False)  # the pool's connections, if any, are the parent's
    with suppress(OSError):  # what `ps` and `top` call it
        Path("/proc/self/comm").write_text(JOBS_PROCESS_NAME)
    parent = os.getppid()
    stopping = {signal.SIGTERM, signal.SIGINT}
    # Blocked before the job threads start, so they inherit the mask and only this wait
    # receives them; it wakes every second to stop too when the supervisor is gone (killed).
    signal.pthread_sigmask(signal.SIG_BLOCK, stopping)
    stop = jobs()
    try:
        while signal.sigtimedwait(stopping, 1.0) is None and os.getppid() == parent:
            pass
    finally:
        stop()


class StoppingServer(uvicorn.Server):
    """uvicorn's server, stopped gracefully by SIGTERM or SIGINT and then exiting with status
    0 (uvicorn would raise the signal again once done, and die of it). A worker also stops
    when its supervisor is gone (killed with SIGKILL, it could not pass a signal on): no
    orphan keeps serving on the socket."""

    def __init__(self, config: uvicorn.Config, parent: int | None = None) -> None:
        super().__init__(config)
        self.parent = parent

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.handle_exit)
        yield

    async def on_tick(self, counter: int) -> bool:
        if self.parent is not None and os.getppid() != self.parent:
            self.should_exit = True
        return await super().on_tick(counter)


class Supervisor:
    """Forks a process for each of ``works`` (the workers, the jobs), replaces one that dies
    with another doing the same work, and stops them all on SIGTERM or SIGINT. Its own copy of
    the listening socket is closed then too: open, the kernel would go on queueing connections
    that no worker will accept."""

    def __init__(self, works: Sequence[Callable[[], None]], sock: socket.socket) -> None:
        self.works = works
        self.sock = sock
        self.children: dict[int, Callable[[], None]] = {}
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for work in self.works:
            self._spawn(work)
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            work = self.children.pop(pid)
            _forget_metrics_of(pid)
            if not self.stopping:
                log.warning("worker exited", extra={"pid": pid, "status": status})
                time.sleep(0.5)  # a worker that dies at start must not fork in a tight loop
                self._spawn(work)

    def _spawn(self, work: Callable[[], None]) -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                work()
            except BaseException:
                code = 1
                log.exception("worker failed")
            finally:
                os._exit(code)
        self.children[pid] = work

    def _stop(self, signum: int, _frame: object) -> None:
        self.stopping = True
        self.sock.close()
        for pid in self.children:
            with suppress(ProcessLookupError):
                os.kill(pid, signum)


def _forget_metrics_of(pid: int) -> None:
    """A dead worker's live gauges leave the shared metrics (its counters stay counted)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
