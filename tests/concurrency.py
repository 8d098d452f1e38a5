"""Running the same work in several threads released at the same instant, as several processes or
instances would, and failing the test with whatever any of them raised."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def at_the_same_instant(work: Callable[[T], object], args: Sequence[T], timeout: float = 60) -> None:
    """Call `work(arg)` for every arg, each in its own thread, all released by one barrier."""
    start = threading.Barrier(len(args))
    errors: list[BaseException] = []

    def run(arg: T) -> None:
        start.wait()
        try:
            work(arg)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(arg,)) for arg in args]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not errors, errors
