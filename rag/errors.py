"""The errors newsrag shows to people, as one clear line at the CLI, UI and API boundary.

    NewsragError
     ├── ConfigError        settings that cannot work (bad mode, missing model folder)
     ├── InputError         a question or file we refuse (empty, too long, unreadable)
     │    └── ArticleError  one article file or JSONL line that cannot be ingested
     ├── BackendError       the store or the LLM failed underneath us
     └── IndexBusy          another process is writing the index (``rag.lock``)

Everything else propagates: it is a bug, not a message.
"""

from __future__ import annotations


class NewsragError(Exception):
    """Base of all errors meant to be read by a person."""


class ConfigError(NewsragError):
    pass


class InputError(NewsragError):
    pass


class ArticleError(InputError):
    def __init__(self, source: str, reason: str, line: int | None = None):
        self.source, self.reason, self.line = source, reason, line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {reason}")


class BackendError(NewsragError):
    pass


class IndexBusy(NewsragError):
    pass
