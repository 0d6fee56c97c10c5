"""Group commit: one daemon thread per writer takes everything waiting and saves it in one transaction, so that
thousands of small writes at once (answer taps, a live game's answers) do not each queue for the writer lock
(docs/performance.md#tap-writer). Each item carries the Future its caller waits on; `save` settles them."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
BATCH = 500  # items in one transaction at most


class GroupCommit(Generic[T]):
    def __init__(self, name: str, save: Callable[[list[T]], None], *, batch: int = BATCH) -> None:
        self.name, self._save, self._batch = name, save, batch
        self._queue: queue.SimpleQueue[T] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def submit(self, item: T) -> None:
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                    self._thread.start()
        self._queue.put(item)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._save(batch)
