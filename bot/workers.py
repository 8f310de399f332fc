"""Where the work after a Slack ack goes: pools of the project's own, one for quick answers and
one for slow commands (lookup, check, summary, export), each bounded in workers and in waiting
jobs, so five slow `check`s leave every quick command free."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from handlers.router import is_slow

log = logging.getLogger(__name__)

#: Quick answers worked on at once, and how many more may wait.
QUICK_WORKERS, QUICK_WAITING = 8, 2000
#: Slow commands running at once, and how many more may wait for a free worker.
SLOW_WORKERS, SLOW_WAITING = 8, 64


class Pool:
    """A bounded pool: ``workers`` run at once and at most ``waiting`` wait; past that a job is
    turned away (the caller tells the asker) rather than queued without end."""

    def __init__(self, name: str, workers: int, waiting: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._slots = threading.BoundedSemaphore(workers + waiting)

    def submit(self, fn: Callable[[], None]) -> bool:
        """Run ``fn`` on the pool; False (and nothing run) when the pool is full."""
        if not self._slots.acquire(blocking=False):
            return False

        def run() -> None:
            try:
                fn()
            except Exception:
                log.exception("answering a Slack request failed")
            finally:
                self._slots.release()

        self._pool.submit(run)
        return True

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class Workers:
    """Where the work after an ack goes: slow commands to their own pool, the rest to another."""

    def __init__(self) -> None:
        self.quick = Pool("slack-quick", QUICK_WORKERS, QUICK_WAITING)
        self.slow = Pool("slow-command", SLOW_WORKERS, SLOW_WAITING)

    def run(self, text: str, work: Callable[[], None], busy: Callable[[], None]) -> None:
        """``work`` on the pool ``text``'s command belongs to; ``busy`` (on the quick pool) when
        that pool is full."""
        if (self.slow if is_slow(text) else self.quick).submit(work):
            return
        if not self.quick.submit(busy):
            log.warning("dropped a Slack request: every worker is busy and %d wait", QUICK_WAITING)

    def shutdown(self) -> None:
        self.quick.shutdown()
        self.slow.shutdown()
