"""Real threads against PostgreSQL, for the concurrency tests (the ``*_pg.py`` modules).

Each thread gets its own database connection (Django gives one per thread), so two threads are two
clients of the server, with their own transactions and row locks. A thread closes its connection
when its work ends: an open one would keep the test database from being dropped at the end of the
run. Results and exceptions come back to the test, which asserts on them: an exception raised in a
thread never goes unnoticed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

from apps.core.exceptions import DomainError


class Running:
    """``work()`` started in a thread of its own; :meth:`result` waits for it."""

    def __init__(self, work: Callable[[], Any], *, barrier: threading.Barrier | None = None) -> None:
        self._work = work
        self._barrier = barrier
        self._outcome: list[Any] = []
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        try:
            if self._barrier is not None:
                self._barrier.wait(timeout=30)
            self._outcome.append(self._work())
        except BaseException as exc:  # handed to the test, which asserts on it
            self._outcome.append(exc)
        finally:
            connection.close()

    def result(self, timeout: float = 120) -> Any:
        """What ``work()`` returned, or the exception it raised; fails the test if it is still running
        after ``timeout`` seconds (a deadlock the database did not break)."""
        self._thread.join(timeout=timeout)
        assert self._outcome, f"the thread was still running after {timeout} s"
        return self._outcome[0]


def start(work: Callable[[], Any]) -> Running:
    """Start ``work()`` in another thread, on its own connection; for a test that acts while it runs."""
    return Running(work)


def in_thread(work: Callable[[], Any], timeout: float = 30) -> Any:
    """``work()`` in another thread, on its own connection; its result, or the exception it raised."""
    return start(work).result(timeout)


def race(*work: Callable[[], Any]) -> list[Any]:
    """Every callable in a thread of its own, released together by a barrier so they reach the
    database at the same moment; their results or exceptions, in the order given."""
    barrier = threading.Barrier(len(work))
    running = [Running(each, barrier=barrier) for each in work]
    return [each.result() for each in running]


def codes(results: list[Any]) -> list[str]:
    """``"ok"`` for a success, the code of a refusal (a :class:`DomainError`); anything else raised
    fails the test, with the exception as its cause."""
    out = []
    for result in results:
        if isinstance(result, DomainError):
            out.append(result.code)
        elif isinstance(result, BaseException):
            raise AssertionError(f"unexpected {result!r}") from result
        else:
            out.append("ok")
    return out
