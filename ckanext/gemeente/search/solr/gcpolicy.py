"""The standalone server's garbage-collection policy (:class:`IndexGC`)."""

from __future__ import annotations

import gc
import threading
import time


class IndexGC:
    """Runs Python's cyclic garbage collector on the server's own schedule.

    The index and the queued documents are millions of long-lived containers without
    reference cycles. Python's automatic collector walks them again and again as they
    grow: 10-15 % of the server's CPU while 10,000 CKAN datasets are indexed (docs/
    performance.md). With this policy the automatic collector is off; instead, after
    every commit and after every ``requests`` other requests (searches leave a few
    garbage cycles, updates none), the objects made since the last time are collected
    and what survives is moved to the permanent generation (:func:`gc.freeze`), so each
    object is walked about once. Frozen objects are still freed by reference counting
    when a document is replaced or deleted, and once per ``full_every`` seconds
    everything is unfrozen and collected in full, so that no garbage cycle lives longer.

    Process-wide, so it is used by ``python -m ckanext.gemeente.search`` only, never
    inside another program (a test run, CKAN).
    """

    def __init__(self, requests: int = 2000, full_every: float = 3600.0) -> None:
        self.requests = requests
        self.full_every = full_every
        self.collections = 0
        self._requests = 0
        self._generation: int | None = None
        self._last_full = time.monotonic()
        self._lock = threading.Lock()

    def start(self) -> None:
        gc.disable()
        gc.collect()
        gc.freeze()  # what is loaded at start (CKAN's schema, a stored index)

    def stop(self) -> None:
        gc.unfreeze()
        gc.enable()

    def note(self, generation: int | None = None) -> None:
        """After each request; ``generation``: the core's commit count, for updates."""
        with self._lock:
            if generation is None:
                self._requests += 1
                if self._requests < self.requests:
                    return
            elif generation == self._generation:
                return  # an update without a commit leaves no garbage, only pending data
            self._requests = 0
            if generation is not None:
                self._generation = generation
            if time.monotonic() - self._last_full > self.full_every:
                gc.unfreeze()
                gc.collect()
                self._last_full = time.monotonic()
            else:
                gc.collect()  # everything not frozen: what was made since last time
            gc.freeze()
            self.collections += 1


