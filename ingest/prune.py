"""Prune: remove the articles whose files are gone, reading the list of files, not every record.

An article is gone when its file no longer exists, or was read now without it (a line dropped from
a JSONL). The index lists the files articles came from (``rag.source_files``), so a prune stats the
files listed but not read now, and reads the records of those that are gone; the records of the
files read now the ingest has already. Never removed: an article whose file exists but could not be
read now (damaged, unreadable, in a folder that could not be listed or looked into), a feed entry
(feeds roll over: an entry that left its feed is still news), and an article an older version
stored without its file's full path (counted, so the ingest can say so).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path

from ingest.feeds import is_url
from rag.records import ArticleRecord
from rag.store import NewsIndex


def within(path: str, changed: Collection[str]) -> bool:
    """``path`` is one of ``changed`` or under one of them (a set: one lookup per folder level)."""
    p = Path(path)
    return path in changed or any(str(parent) in changed for parent in p.parents)


def gone(path: str) -> bool:
    """The file is known not to exist. One that cannot be looked at (a folder without permission)
    is not gone: ``Path.exists`` would raise there, and ``os.path.exists`` would say False."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def prune_gone(index: NewsIndex, known: Mapping[str, ArticleRecord], seen: Collection[str], loaded: Collection[str],
               changed: Collection[str] | None) -> tuple[list[str], int]:
    """Remove the gone articles; ``changed``: only among the articles of these files. ``known``: at
    least the records of the files read now that held articles (``loaded``); ``seen``: the ids read.
    Returns the ids removed, and how many were kept for want of their file's full path."""
    files = [p for p in index.files.paths() if changed is None or within(p, changed)]
    missing = [p for p in files if p not in loaded and not is_url(p) and (not os.path.isabs(p) or gone(p))]
    stored = {d: r for d, r in known.items() if r.path in loaded} | index.records_at(missing)
    removed, legacy = [], 0
    for doc_id, record in sorted(stored.items()):
        if doc_id in seen or record.kind == "feed":
            continue
        if not os.path.isabs(record.path):  # stored by an older version: we cannot tell where its file is
            legacy += 1
            continue
        removed.append(doc_id)
    index.delete_articles(removed)
    gone_ids = set(removed)
    kept = {r.path for d, r in stored.items() if d not in gone_ids}
    index.files.forget(set(missing) - kept)  # files listed, gone, and without articles now
    return removed, legacy
