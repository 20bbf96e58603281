"""Work shared among forked worker processes, its results handed back in input order.

``healthcert verify --workers``, ``healthcert issue --workers`` and the service's batch
issuance cut a batch into chunks.
Chunk i goes to worker i mod N and its result is read back from that worker in the same turn,
so results come out in input order without sorting or waiting lists. A feeder thread sends
the chunks and the calling thread only receives: a worker blocked writing a large result never
holds up the chunk another worker needs, and no thread polls. (multiprocessing.Pool, used
before, kept a thread waking on every result still in its pipe: on a 2-core machine, a tenth
of the parent's time.) At most ``in_flight`` chunks wait per worker, so a batch of any length
streams through in bounded memory. With ``written_in_order`` the workers also write their
output themselves, passing the turn to write from one to the next.

Workers are forked: they inherit what the parent loaded (trust store, rules, signing key)
instead of receiving it, and nothing but chunks and results is pickled. They ignore Ctrl-C;
the parent stops them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Generic, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

# What a worker sends back: its result, or a failure's traceback, or that no chunk is left.
_RESULT, _FAILURE, _END = "result", "failure", "end"


class WorkerError(RuntimeError):
    """A worker failed on a chunk, or stopped without answering."""


def in_order(
    function: Callable[[Task], Result],
    tasks: Iterable[Task],
    workers: int,
    *,
    in_flight: int = 3,
) -> Iterator[Result]:
    """``function(task)`` for every task (never None), computed in ``workers`` forked
    processes, in the order of the tasks. An error reading the tasks is raised after the
    results of the tasks read before it; a worker's failure raises WorkerError."""
    return _run(_Crew.start([function] * workers, tasks, in_flight))


def written_in_order(
    function: Callable[[Task], tuple[Result, bytes]],
    tasks: Iterable[Task],
    workers: int,
    output: int,
    *,
    in_flight: int = 3,
) -> Iterator[tuple[Result, bytes]]:
    """As ``in_order``, for a function that returns (result, output bytes): each worker writes
    its bytes to the file descriptor ``output`` itself, in the order of the tasks, and only
    (result, b"") comes back. The output never crosses a pipe to this process, which would
    copy it several times and, on a 2-core machine, take a fifth of a worker's time."""
    turns = [os.pipe() for _ in range(workers)]
    os.write(turns[0][1], _TOKEN)  # the first task's worker may write at once
    writers = [
        _WritesInTurn(function, output, turns[worker][0], turns[(worker + 1) % workers][1])
        for worker in range(workers)
    ]
    try:
        crew = _Crew.start(writers, tasks, in_flight)
    finally:
        for descriptor in (end for pair in turns for end in pair):
            os.close(descriptor)  # the workers hold their own copies
    return _run(crew)


def _run(crew: _Crew[Task, Result]) -> Iterator[Result]:
    try:
        yield from crew.results()
        crew.feeder.join()
    finally:
        crew.stop()
    if crew.feed_error is not None:
        raise crew.feed_error


_TOKEN = b"t"


@dataclass(frozen=True)
class _WritesInTurn(Generic[Task, Result]):
    """A worker's function that writes its output when the previous task's is written.

    Task i is worker i mod N's, so the turn passes from each worker to the next: a worker
    waits for a token on its own pipe, writes, and hands the token to the next worker's."""

    function: Callable[[Task], tuple[Result, bytes]]
    output: int
    my_turn: int
    next_turn: int

    def __call__(self, task: Task) -> tuple[Result, bytes]:
        result, text = self.function(task)
        if os.read(self.my_turn, 1) != _TOKEN:
            raise WorkerError("the turn to write never came")
        view = memoryview(text)
        while view:
            view = view[os.write(self.output, view) :]
        os.write(self.next_turn, _TOKEN)
        return result, b""


@dataclass
class _Crew(Generic[Task, Result]):
    processes: list[BaseProcess]
    to_workers: list[Connection]
    from_workers: list[Connection]
    slots: list[threading.Semaphore]
    feeder: threading.Thread = field(init=False)
    stopping: threading.Event = field(default_factory=threading.Event)
    finished: bool = False
    feed_error: BaseException | None = None

    @classmethod
    def start(
        cls, functions: Sequence[Callable[[Task], Result]], tasks: Iterable[Task], in_flight: int
    ) -> _Crew[Task, Result]:
        """One worker per function, forked now, and the feeder thread that sends them tasks."""
        # A child inherits the parent's unwritten output and writes it again when it exits.
        sys.stdout.flush()
        sys.stderr.flush()
        context = multiprocessing.get_context("fork")
        processes: list[BaseProcess] = []
        to_workers: list[Connection] = []
        from_workers: list[Connection] = []
        for function in functions:
            task_reader, task_writer = context.Pipe(duplex=False)
            result_reader, result_writer = context.Pipe(duplex=False)
            process = context.Process(
                target=_serve, args=(function, task_reader, result_writer), daemon=True
            )
            process.start()
            # The parent keeps only its own ends: when a worker dies, its result pipe then
            # reads as ended instead of waiting for ever.
            task_reader.close()
            result_writer.close()
            processes.append(process)
            to_workers.append(task_writer)
            from_workers.append(result_reader)
        slots = [threading.Semaphore(in_flight) for _ in functions]
        crew = cls(processes, to_workers, from_workers, slots)
        crew.feeder = threading.Thread(target=crew.feed, args=(tasks,), daemon=True)
        crew.feeder.start()
        return crew

    def feed(self, tasks: Iterable[Task]) -> None:
        """Send each task to its worker in turn, then tell every worker that none is left."""
        count = len(self.processes)
        try:
            for index, task in enumerate(tasks):
                worker = index % count
                self.slots[worker].acquire()
                if self.stopping.is_set():
                    return
                self.to_workers[worker].send(task)
        except BaseException as error:  # reading the input failed: the caller raises it
            self.feed_error = error
        finally:
            for connection in self.to_workers:
                with contextlib.suppress(OSError):  # that worker is gone already
                    connection.send(None)

    def results(self) -> Iterator[Result]:
        count = len(self.processes)
        index = 0
        while True:
            worker = index % count
            kind, value = self._receive(worker)
            if kind == _END:
                self.finished = True
                return
            if kind == _FAILURE:
                raise WorkerError(f"a worker failed:\n{value}")
            self.slots[worker].release()
            yield value
            index += 1

    def _receive(self, worker: int) -> tuple[str, Result]:
        try:
            message: tuple[str, Result] = self.from_workers[worker].recv()
            return message
        except EOFError:
            process = self.processes[worker]
            process.join(timeout=1)
            raise WorkerError(
                f"a worker process stopped without answering (exit code {process.exitcode})"
            ) from None

    def stop(self) -> None:
        """Stop the feeder and the workers: at the end of the batch, or when it is abandoned."""
        self.stopping.set()
        for slot in self.slots:
            slot.release()  # a feeder waiting for a slot wakes up and sees that it must stop
        if not self.finished:
            # Abandoned midway, or a worker failed: the feeder may be stuck sending to a busy
            # worker, and workers may wait for a turn to write that will not come. Stopped
            # workers make that send fail.
            for process in self.processes:
                process.terminate()
        self.feeder.join()
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()
        for connection in [*self.to_workers, *self.from_workers]:
            connection.close()


def _serve(function: Callable[[Task], Result], tasks: Connection, results: Connection) -> None:
    """A worker's life: compute each task it receives until told that none is left."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            task = tasks.recv()
        except EOFError:
            return  # the parent is gone
        if task is None:
            results.send((_END, None))
            return
        try:
            results.send((_RESULT, function(task)))
        except Exception:
            results.send((_FAILURE, traceback.format_exc()))
            return
