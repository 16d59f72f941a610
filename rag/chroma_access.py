"""Reads and writes on Chroma collections that survive other processes' writes and Chroma's errors.

Another process may write the same embedded index (it should not: see ``rag.lock``), which leaves
this process's Chroma with stale in-memory vectors ("Error finding id"). Given an ``opener`` and a
``stamp`` (``rag.providers`` passes both), ``GuardedChroma`` notices a change on disk and opens
Chroma again, and a failing read is retried once on a fresh client. A Chroma error that survives
that becomes a ``BackendError`` naming the index and what to do; it never reaches a user as a
traceback. What the collections hold is the subclass's business (``rag.store``).

A client just opened (or reopened) reads each collection once (``count``), before any write through
it. Embedded Chroma (1.5) catches a collection's vector index up with its log on the first
read in a process; when that read comes after this process's own writes it finds nothing new and
forgets how far the index has applied the log, so the next write applies every logged vector again,
in parallel with the new ones, and a new vector can end up unreachable by search (``get`` still
returns it): an article ingested and listed, yet never found by dense search. Read first, that
catch-up applies only what other processes logged.

A reopen does not close the client it replaces at once: a request on another thread may hold one of
its collections (taken before the swap, used after it: ``partial(self.collection.upsert, ...)``,
``all_ids(collection)``, or a read in the middle of its call). It is kept as ``_retired`` and closed
by the next reopen, or by ``close``: at most one old client is alive, and only a request that spans
two reopens (each needs another process to write the index, or a failing read) could find its
collection closed. Closing it when its last read ends would need every use of a collection counted,
including those taken outside ``read``; one reopen's grace is simpler and in practice as safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from rag.errors import BackendError

T = TypeVar("T")
MANIFEST_VECTOR = [1.0]  # for records never searched by vector (Chroma wants one)


def is_store_error(exc: BaseException) -> bool:
    """Errors of the store underneath us (chromadb, its SQLite, its HTTP client), not our bugs."""
    import sqlite3

    module = type(exc).__module__ or ""
    return isinstance(exc, sqlite3.Error) or module.startswith(("chromadb", "httpx", "httpcore"))


class GuardedChroma:
    """``opener(old_client)`` returns a fresh client; ``stamp()`` changes whenever the index on disk
    does (embedded Chroma); ``hint`` tells a person what to do when the store fails; ``closer(client)``
    lets go of a client, given for the clients this object owns (``client`` and those ``opener``
    makes): without it ``close`` closes nothing. A subclass names its collections in ``_collections``."""

    def __init__(self, client: Any, *, opener: Callable[[Any], Any] | None = None,
                 stamp: Callable[[], Any] | None = None, hint: str = "",
                 closer: Callable[[Any], None] | None = None):
        self._opener, self._stamp_of, self.hint, self._closer = opener, stamp, hint, closer
        self._lock = threading.RLock()  # a reopen never happens during one of our own writes
        self._retired: Any = None  # the client the last reopen replaced, closed by the next (see above)
        self._closed = False
        self._open(client)

    def _collections(self, client: Any) -> dict[str, Any]:
        """attribute name -> the collection of ``client`` to set it to (or an object that keeps
        it as ``.collection``)."""
        raise NotImplementedError

    def _open(self, client: Any) -> None:
        try:
            found = self._collections(client)
            for collection in found.values():  # read before any write through this client (see above)
                getattr(collection, "collection", collection).count()
            max_batch = int(client.get_max_batch_size())  # records per Chroma call
        except Exception as exc:
            raise self._failed(exc) if is_store_error(exc) else exc
        for name, collection in found.items():
            setattr(self, name, collection)
        self.client, self.max_batch = client, max_batch
        self._stamp = self._stamp_of() if self._stamp_of else None

    def _failed(self, exc: BaseException) -> BackendError:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        return BackendError(f"{reason}{'; ' + self.hint if self.hint else ''}")

    def reopen(self) -> None:
        """Open Chroma again, so what other processes wrote is seen (no-op without an opener). The
        client replaced stays open until the next reopen (module docstring); the one before it closes."""
        if self._opener is None:
            return
        with self._lock:
            self._check_open()
            old = self.client
            try:
                client = self._opener(old)
            except Exception as exc:
                raise self._failed(exc) if is_store_error(exc) else exc
            try:
                self._open(client)
            except BaseException:
                self._close_client(client)
                raise
            done, self._retired = self._retired, old
            self._close_client(done)

    def close(self) -> None:
        """Close the clients this object owns (see ``closer``); a second call does nothing. Reads,
        writes and reopens after it raise ``RuntimeError``."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            retired, self._retired = self._retired, None
            self._close_client(retired)
            self._close_client(self.client)

    def _close_client(self, client: Any) -> None:
        if client is not None and self._closer is not None:
            self._closer(client)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} is closed")

    def changed_elsewhere(self) -> bool:
        return self._stamp_of is not None and self._stamp_of() != self._stamp

    def refresh_if_changed(self) -> bool:
        """Reopen when the index on disk changed since we opened or last wrote it; True if it did."""
        if not self.changed_elsewhere():
            return False
        with self._lock:
            if not self.changed_elsewhere():  # another thread reopened, or it was our own write
                return False
            self.reopen()
            return True

    def read(self, op: Callable[[], T]) -> T:
        """Run a read; on a store error, reopen and try once more, then say what is wrong. Reads
        that fail together reopen once: a second reopen would close the client the first replaced,
        which other requests may still be reading (module docstring)."""
        self._check_open()
        client = self.client
        try:
            return op()
        except Exception as exc:
            if not is_store_error(exc):
                raise
            if self._opener is None:
                raise self._failed(exc) from exc
        with self._lock:
            if self.client is client:  # else another thread reopened since this read began
                self.reopen()
        try:
            return op()
        except Exception as exc:
            raise self._failed(exc) if is_store_error(exc) else exc

    def all_ids(self, collection: Any, page: int = 10_000) -> list[str]:
        """Every id in one of this index's collections, read a page at a time."""
        out: list[str] = []
        while True:
            got = self.read(lambda: collection.get(include=[], limit=page, offset=len(out)))
            out.extend(got["ids"])
            if len(got["ids"]) < page:
                return out

    def write(self, op: Callable[[], T]) -> T:
        """Run a write (never during a reopen); a store error becomes a ``BackendError``."""
        with self._lock:
            self._check_open()
            try:
                return op()
            except Exception as exc:
                raise self._failed(exc) if is_store_error(exc) else exc
            finally:
                self._stamp = self._stamp_of() if self._stamp_of else None
