"""The single-writer rule: one process at a time writes an index, by a lock file beside it.

Embedded Chroma is not process-safe: a second process writing the same folder leaves the first
with stale vectors, and two writers can lose each other's work. So every write (ingest, delete)
holds ``<index>/writer.lock``; ``newsrag serve`` and ``newsrag chat`` hold it for as long as they
run, because they ingest uploads. A second writer waits up to its ``wait`` seconds, then is
refused with one line naming the holder (pid, command, since when), which is written beside the
lock when it is taken. Readers (search, ask, mcp) take no lock.

What this leaves out: writers on other machines (share a Chroma server instead, whose writes are
process-safe; then the lock only orders the writers that share this home), and tools that write
the folder without newsrag: the lock is advisory.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from rag.errors import IndexBusy


def _command() -> str:
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    return " ".join([name, *sys.argv[1:]])[:200]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


class WriterLock:
    """A re-entrant, process-wide lock on ``folder/<name>.lock`` (the same object for every
    ``WriterLock`` of one path in a process, so two bots on one index in one process share it)."""

    def __init__(self, folder: Path, name: str = "writer", *, what: str = "the index", hint: str = ""):
        self.folder, self.what, self.hint = Path(folder), what, hint
        self.path = self.folder / f"{name}.lock"
        self.holder_file = self.folder / f"{name}.holder.json"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.path), thread_local=False, is_singleton=True)

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self, wait: float = 0.0) -> None:
        """Take the lock, waiting up to ``wait`` seconds; ``IndexBusy`` names the holder if not."""
        try:
            self._lock.acquire(timeout=max(0.0, wait), poll_interval=0.1)
        except Timeout:
            waited = f" (waited {wait:g} s)" if wait > 0 else ""
            hint = f"; {self.hint}" if self.hint else ""
            raise IndexBusy(f"{self.what} is being written by {self.holder()}{waited}{hint}") from None
        if self._lock.lock_counter == 1:
            info = {"pid": os.getpid(), "command": _command(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}
            tmp = self.holder_file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(info))
            os.replace(tmp, self.holder_file)

    def release(self) -> None:
        if self._lock.lock_counter == 1:
            self.holder_file.unlink(missing_ok=True)
        self._lock.release()

    @contextmanager
    def __call__(self, wait: float = 0.0) -> Iterator[None]:
        self.acquire(wait)
        try:
            yield
        finally:
            self.release()

    def holder(self) -> str:
        """``"`newsrag serve` (pid 1234, since 2026-11-22 10:02:11)"``, or "another process"."""
        try:
            info = json.loads(self.holder_file.read_text())
            pid = int(info["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return "another process"
        if pid != os.getpid() and not _alive(pid):
            return "another process"
        return f"`{info.get('command', '?')}` (pid {pid}, since {info.get('since', '?')})"
