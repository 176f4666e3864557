"""Run one function on many threads at once and wait for all: what the concurrency tests share."""

import threading
from typing import Callable


def run_on_threads(target: Callable[[int], None], count: int) -> None:
    """Call ``target(n)`` for n in 0..count-1, each on its own thread, started together; return when all end."""
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
