"""``fanout.in_order``: work shared among forked processes comes back whole and in order.

Real processes throughout: the order, the turn-taking of the workers, large messages both ways
(which deadlock a naive send-then-receive loop), failures in a worker, in the input and of a
worker process itself, and an abandoned batch, after which no worker may be left running.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from healthcert.fanout import WorkerError, in_order, written_in_order

SRC = Path(__file__).parent.parent / "src"


def square_with_pid(task: int) -> tuple[int, int]:
    return task * task, os.getpid()


def no_workers_left() -> bool:
    return not multiprocessing.active_children()


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_results_come_in_task_order_from_the_workers_in_turn(workers: int) -> None:
    results = list(in_order(square_with_pid, range(100), workers, in_flight=2))
    assert [square for square, _ in results] == [task * task for task in range(100)]
    pids = [pid for _, pid in results]
    # Task i is worker i mod N's: the first N tasks went to N distinct processes, not this one.
    assert len(set(pids[:workers])) == workers
    assert os.getpid() not in pids
    assert all(pids[index] == pids[index % workers] for index in range(100))
    assert no_workers_left()


def test_no_tasks_no_results() -> None:
    assert list(in_order(square_with_pid, [], 2)) == []
    assert no_workers_left()


def echo_doubled(task: bytes) -> bytes:
    return task * 2


def test_large_tasks_and_results_do_not_deadlock() -> None:
    """Tasks of 300 kB and results of 600 kB: far more than a pipe holds, both ways at once."""
    tasks = [bytes([index]) * 300_000 for index in range(24)]
    results = list(in_order(echo_doubled, tasks, 2, in_flight=3))
    assert results == [task * 2 for task in tasks]


def fail_on_seven(task: int) -> int:
    if task == 7:
        raise ValueError("seven is not accepted")
    return task


def test_a_failing_task_raises_with_the_workers_traceback() -> None:
    seen = []
    with pytest.raises(WorkerError, match="seven is not accepted") as raised:
        for result in in_order(fail_on_seven, range(40), 2):
            seen.append(result)
    assert "ValueError" in str(raised.value)
    assert seen == list(range(7))  # everything before the failing task, in order
    assert no_workers_left()


def die_on_three(task: int) -> int:
    if task == 3:
        os._exit(9)
    return task


def test_a_worker_that_dies_is_reported_not_waited_for() -> None:
    with pytest.raises(WorkerError, match="exit code 9"):
        list(in_order(die_on_three, range(20), 2))
    assert no_workers_left()


def tasks_then_a_read_error() -> Iterator[int]:
    yield from range(10)
    raise OSError("the batch file went away")


def test_an_error_reading_the_tasks_comes_after_the_results_before_it() -> None:
    seen = []
    with pytest.raises(OSError, match="went away"):
        for result in in_order(square_with_pid, tasks_then_a_read_error(), 2):
            seen.append(result[0])
    assert seen == [task * task for task in range(10)]
    assert no_workers_left()


def test_an_abandoned_batch_stops_its_workers() -> None:
    results = in_order(echo_doubled, (b"x" * 100_000 for _ in range(1000)), 2)
    assert next(results) == b"x" * 200_000
    results.close()
    assert no_workers_left()


def test_output_written_before_the_workers_start_is_written_once() -> None:
    """Children inherit unwritten output; the parent's buffer must be empty when it forks."""
    script = textwrap.dedent(
        """
        import sys
        from healthcert.fanout import in_order
        sys.stdout.write("before\\n")  # still in the buffer: stdout is a pipe here
        print(sum(in_order(abs, [-1, -2, -3], 2)))
        """
    )
    environment = {**os.environ, "PYTHONPATH": str(SRC)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=environment, check=True
    )
    assert result.stdout == "before\n6\n"


# -- workers that write their own output ---------------------------------------------------------


def line_after_a_while(task: int) -> tuple[int, bytes]:
    """Later tasks finish first: writing in task order must wait for the turn."""
    time.sleep(0.002 * (5 - task % 6))
    return task, f"line {task}\n".encode() * (task % 4)


def test_workers_write_their_output_in_task_order(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    with path.open("wb") as out:
        results = list(written_in_order(line_after_a_while, range(60), 3, out.fileno()))
    assert results == [(task, b"") for task in range(60)]
    expected = b"".join(f"line {task}\n".encode() * (task % 4) for task in range(60))
    assert path.read_bytes() == expected
    assert no_workers_left()


def test_large_outputs_are_written_whole_through_a_pipe() -> None:
    """2 MB through a pipe another thread drains: partial writes are carried on."""
    reader, writer = os.pipe()
    received = bytearray()

    def drain() -> None:
        while chunk := os.read(reader, 1 << 16):
            received.extend(chunk)

    draining = threading.Thread(target=drain)
    draining.start()
    results = list(written_in_order(lambda n: (n, bytes([n]) * 500_000), range(4), 2, writer))
    os.close(writer)
    draining.join()
    os.close(reader)
    assert [result for result, _ in results] == [0, 1, 2, 3]
    assert bytes(received) == b"".join(bytes([n]) * 500_000 for n in range(4))


def fail_on_five_with_output(task: int) -> tuple[int, bytes]:
    return fail_on_seven(task + 2), b"."


def test_a_failing_writer_raises_at_once_and_stops_the_others(tmp_path: Path) -> None:
    """The others wait for a turn to write that will never come: they are stopped, not
    waited for."""
    started = time.monotonic()
    with (tmp_path / "out.txt").open("wb") as out, pytest.raises(WorkerError, match="seven"):
        list(written_in_order(fail_on_five_with_output, range(30), 3, out.fileno()))
    assert time.monotonic() - started < 4
    assert (tmp_path / "out.txt").read_bytes() == b"....."  # the tasks before it, written
    assert no_workers_left()
