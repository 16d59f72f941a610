"""Keep an index current while files change and feeds publish: ``newsrag ingest --watch PATH...``.

    initial ingest of every PATH -> watchfiles batches (debounced) -> ingest(changed=batch, prune)
                                 -> every ``interval`` s: ingest(feed URLs)

watchfiles reports a burst of writes as one batch once the folder has been quiet for ``debounce_ms``.
Each batch is ingested with ``changed`` set to its paths: only those files are read (ids as if the
whole folder were ingested), and the articles of files that are gone are removed. Feed URLs among
the PATHs are polled every ``interval`` seconds; a feed only adds and updates (entries that leave
it are kept). ``ingest`` is ``Chatbot.ingest`` (or anything with its signature); the caller holds
the index's writer lock for the whole run (``rag.lock``), so the watcher is the one writer.

Stops when ``stop`` is set (tests, threads) or on Ctrl-C (``KeyboardInterrupt`` reaches the caller,
between or inside a batch: an interrupted batch is completed by the next run, see ``rag.store``).
What this leaves out: renames keep no id (a moved file is removed and added under its new name).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ingest.feeds import is_url
from ingest.loaders import SUPPORTED, is_feed_file
from ingest.pipeline import IngestReport
from rag.errors import InputError

Ingest = Callable[..., IngestReport]  # Chatbot.ingest: (paths, *, prune, changed, ...) -> report
OnReport = Callable[[str, IngestReport], None]  # (what was ingested, its report)


def relevant(changes: Iterable[tuple[object, str]]) -> list[str]:
    """The absolute paths worth ingesting from a watchfiles batch: no hidden files or folders; a
    file that still exists must be an article or feed file (a deleted one cannot be sniffed)."""
    out = set()
    for _, name in changes:
        path = Path(name)
        if any(part.startswith(".") for part in path.parts[1:]):
            continue
        if path.exists() and path.is_file() and path.suffix.lower() not in SUPPORTED and not is_feed_file(path):
            continue
        # a deleted file cannot be resolved: resolve its folder (records hold resolved paths)
        out.add(str(path.resolve()) if path.exists() else str(path.absolute().parent.resolve() / path.name))
    return sorted(out)


def watch(ingest: Ingest, paths: Sequence[str | Path], on_report: OnReport, *, interval: float = 300.0,
          debounce_ms: int = 1600, stop: threading.Event | None = None, initial: bool = True,
          prune: bool = False, **options) -> None:
    """Ingest ``paths`` once (``initial``), then every change until ``stop`` is set.

    ``options`` go to every ``ingest`` call (``feeds``, ``replace``, ``progress``)."""
    import watchfiles  # only the watcher needs it

    urls = [str(p) for p in paths if is_url(str(p))]
    local = [Path(p) for p in paths if not is_url(str(p))]
    if missing := [str(p) for p in local if not p.exists()]:
        raise InputError(f"cannot watch {', '.join(missing)}: no such file or folder")
    stop = stop or threading.Event()
    if initial:
        on_report("start", ingest([*urls, *local], prune=prune, **options))
    next_poll = time.monotonic() + interval

    def poll_due() -> None:
        nonlocal next_poll
        if urls and time.monotonic() >= next_poll:
            on_report("feeds", ingest(urls, **options))
            next_poll = time.monotonic() + interval

    if not local:
        while not stop.wait(max(0.05, next_poll - time.monotonic())):
            poll_due()
        return
    timeout_ms = int(min(max(interval, 0.05), 5.0) * 1000)  # wake up at least this often to poll feeds
    for changes in watchfiles.watch(*local, debounce=debounce_ms, stop_event=stop, rust_timeout=timeout_ms,
                                    yield_on_timeout=True, step=50):
        if changed := relevant(changes):
            on_report(f"{len(changed)} changed", ingest(local, prune=True, changed=changed, **options))
        poll_due()
