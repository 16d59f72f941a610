"""The public Python API: one object that ingests, searches and answers, built from settings.

    bot = Chatbot.from_settings()            # real embedder, Chroma, local LLM (loaded on first use)
    bot.warm_up()                            # or load them now (serving processes, before questions)
    bot.ingest(["data/articles"])
    answer = bot.ask("Hoeveel geld zegde Blinken toe?")
    for event in bot.stream("En in het Engels?", history=[...]): ...

Collaborators are passed in or built lazily by ``rag.providers``, once per process. Writes go
through one lock: Chroma is thread-safe but an ingest must not interleave with another ingest; and
between processes through the index's writer lock (``rag.lock``), which ``hold_writer`` keeps for
a server's lifetime. ``refresh`` notices an index another process changed and reopens it.
The index records its embedder: a write adopts it on an index without the record, and both writes
and queries refuse another (``rag.embedder_id``).
"""

from __future__ import annotations

import logging
import threading
import time
from functools import cached_property
from pathlib import Path
from typing import Any, Collection, Iterable, Iterator, Sequence

from ingest.feeds import FeedOptions, is_url
from ingest.pipeline import IngestReport, LazyEmbeddings, Progress, ingest
from rag import providers
from rag.answer import Answer, Event
from rag.dates import DateFilter
from rag.embedder_id import EmbedderId, identity_of
from rag.keyword_sync import sync
from rag.settings import MAX_K, Settings
from rag.store import ArticleRecord, Hit
from rag.story_links import link_stories

log = logging.getLogger(__name__)


def check_k(k: int | None) -> int | None:
    """A per-request k must be 1..MAX_K (the settings' own k is checked by ``Settings``)."""
    from rag.errors import InputError

    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K):
        raise InputError(f"k must be a whole number from 1 to {MAX_K}, not {k!r}")
    return k


class Chatbot:
    def __init__(self, settings: Settings, *, embeddings=None, index=None, keywords=None, llm=None):
        self.settings = settings
        self._given = {"embeddings": embeddings, "index": index, "keywords": keywords, "llm": llm}
        self._write_lock = threading.Lock()
        self._build_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> "Chatbot":
        return cls((settings or Settings.from_env()).with_overrides(**overrides))

    # -- collaborators, built once --------------------------------------------------------------
    @cached_property
    def embeddings(self):
        return self._given["embeddings"] or providers.build_embeddings(self.settings)

    @cached_property
    def index(self):
        return self._given["index"] or providers.build_index(self.settings)

    @cached_property
    def keywords(self):
        return self._given["keywords"] or providers.build_keyword_index(self.settings)

    @cached_property
    def embedder_identity(self) -> EmbedderId:
        """The embedder's name and prefixes, known without loading the model."""
        given = self._given["embeddings"]
        return identity_of(given) if given is not None else providers.embedder_identity(self.settings)

    @cached_property
    def writer(self):
        """The index's single-writer lock, shared with other processes (``rag.lock``)."""
        return providers.build_writer_lock(self.settings)

    def hold_writer(self, wait: float = 2.0) -> None:
        """Hold the writer lock until this process ends (``newsrag serve``, ``newsrag chat``), so no
        other process writes the embedded index under us. A Chroma server is process-safe: there
        each write takes the lock only while it runs."""
        if not self.settings.uses_chroma_server:
            self.writer.acquire(wait)

    def refresh(self) -> None:
        """Reopen the index if another process wrote it since we last looked, and bring the keyword
        index up to date with it (cheap when nothing changed: one ``stat``)."""
        if self.index.refresh_if_changed():
            self.ensure_keywords_current()

    def llm_for(self, mode: str):
        """The chat model for an answer mode, built once per mode (None for extractive)."""
        if mode == self.settings.answer_mode and self._given["llm"] is not None:
            return self._given["llm"]
        with self._build_lock:
            cache = self.__dict__.setdefault("_llms", {})
            if mode not in cache:
                cache[mode] = providers.build_llm(self.settings.with_overrides(answer_mode=mode))
            return cache[mode]

    def warm_up(self, mode: str | None = None) -> float:
        """Load now what the first question would otherwise load: the embedder (and its first run),
        the index and keyword index (repaired if stale), the answer chain and its imports, and the
        mode's chat model (in local mode the model itself, with the judge and phrase system prompts
        prefilled or loaded from the last process: ``ChatLlamaCpp.prime``). Serving processes
        (``serve``, ``chat``, ``mcp``) call this before they take questions. Returns the seconds taken."""
        t0 = time.perf_counter()
        mode = mode or self.settings.answer_mode
        self.embeddings.embed_query("warm up")  # loads the model and runs it once (first-run allocations)
        if self.index.count():
            self.retriever.retrieve("warm up", 1)  # keyword index, Chroma's vector segment, bm25s imports
        self.newest_date()
        self.chain(mode)  # imports the chain (LangChain's chat-model classes) and builds the mode's model
        llm = self.llm_for(mode)
        if callable(getattr(llm, "prime", None)):
            from rag.prompts import judge_messages, phrase_messages

            # ChatLlamaCpp: its weights, and the KV cells of every system prompt the chain uses
            llm.prime([judge_messages("?", 1, "?")] + [phrase_messages("?", lang, [(1, "?")]) for lang in ("nl", "en")])
        elif callable(getattr(llm, "load", None)):
            llm.load()  # loads its weights lazily otherwise
        seconds = time.perf_counter() - t0
        log.info("warmed up (%s mode) in %.1fs", mode, seconds)
        return seconds

    # -- articles -------------------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path], *, prune: bool = False, replace: bool = False,
               progress: Progress | None = None, wait: float = 30.0, feeds: FeedOptions = FeedOptions(),
               changed: Collection[str] | None = None) -> IngestReport:
        """Add or update articles from files, folders and feed URLs; waits up to ``wait`` seconds for
        another writer (then ``IndexBusy``). ``changed``: see ``ingest.pipeline.ingest``."""
        with self._write_lock, self.writer(wait):
            self.index.refresh_if_changed()  # another process may have written before we got the lock
            self.index.claim_embedder(self.embedder_identity, adopt=True)
            # The embedder loads only when something needs embedding (not for an unchanged re-ingest).
            embeddings = LazyEmbeddings(lambda: self.embeddings)
            report = ingest([p if is_url(str(p)) else Path(p) for p in paths], self.index, embeddings,
                            self.keywords, prune=prune, replace=replace, progress=progress, feeds=feeds,
                            changed=changed)
            self.__dict__["_synced"] = True
            return report

    def documents(self) -> list[ArticleRecord]:
        return sorted(self.index.records().values(), key=lambda r: (r.date, r.doc_id), reverse=True)

    def delete(self, doc_id: str, *, wait: float = 30.0) -> bool:
        with self._write_lock, self.writer(wait):
            self.index.refresh_if_changed()
            found = self.index.delete_article(doc_id)
            if found:
                link_stories(self.index)  # its story's others no longer name it
                sync(self.keywords, self.index)
            return found

    def newest_date(self) -> str | None:
        """The newest article date: "vorig jaar" in a question counts back from it (one indexed
        lookup in the keyword index, which keeps every article's date)."""
        if not self.__dict__.get("_synced"):
            self.ensure_keywords_current()
        return self.keywords.newest_date()

    def ensure_keywords_current(self, wait: float = 60.0) -> None:
        """Catch the keyword index up with the store's change log (other processes' writes, a shared
        Chroma server), or fill it if it is new or could not be read: it is derived from the chunks.
        When another process is updating the same file for longer than ``wait``, use it as it is."""
        try:
            sync(self.keywords, self.index, wait=wait)
        except TimeoutError:
            return
        self.__dict__["_synced"] = True

    # -- retrieval ------------------------------------------------------------------------------
    @cached_property
    def sentence_vectors(self):
        """Sentence vectors per chunk, shared by the answer chains of every mode."""
        from rag.context import SentenceVectors

        return SentenceVectors(self.embeddings)

    @cached_property
    def retriever(self):
        from rag.retrieval import Retriever

        self.index.claim_embedder(self.embedder_identity, adopt=False)  # refuse another model's index
        keywords = self.keywords if self.settings.retriever == "hybrid" else None
        if keywords is not None:
            self.ensure_keywords_current()  # once per process: fills a new or damaged keyword index
        return Retriever(self.index, self.embeddings, keywords, bm25_weight=self.settings.bm25_weight,
                         fetch_k=self.settings.fetch_k)

    def search(self, query: str, k: int | None = None, since: str | None = None, until: str | None = None) -> list[Hit]:
        dates = DateFilter(since or None, until or None)  # validates both dates
        k = check_k(k) or self.settings.k
        return self.retriever.retrieve(query, k, dates or None).hits

    # -- answers --------------------------------------------------------------------------------
    def chain(self, mode: str | None = None):
        """The answer chain for a mode (local, extractive or server), built once per mode."""
        from rag.chain import AnswerChain

        mode = mode or self.settings.answer_mode
        chains = self.__dict__.setdefault("_chains", {})
        if mode not in chains:
            chains[mode] = AnswerChain(
                self.retriever, self.embeddings, self.llm_for(mode), k=self.settings.k,
                min_score=self.settings.min_score, support=self.settings.support_score, mode=mode,
                model=providers.model_name(self.settings.with_overrides(answer_mode=mode)),
                newest_date=self.newest_date, sentence_vectors=self.sentence_vectors,
                answer_threshold=self.settings.answer_threshold, judge_sentences=self.settings.judge_sentences)
        return chains[mode]

    def stream(self, question: str, history: Sequence[dict] = (), *, mode: str | None = None,
               since: str | None = None, until: str | None = None, k: int | None = None) -> Iterator[Event]:
        """Events: ``sources`` first, then ``token``s, then the checked ``answer``."""
        from rag.chain import validate_question

        question = validate_question(question)  # before any model loads: bad input fails fast
        check_k(k)
        return self._with_stories(self.chain(mode).stream(question, history,
                                                          dates=DateFilter(since or None, until or None), k=k))

    def also_in(self, doc_ids: Iterable[str]) -> dict[str, list]:
        """doc_id -> the other versions of its story (``AlsoIn``, newest first; [] for none)."""
        from rag.stories import also_in

        doc_ids = sorted(set(doc_ids))
        records = self.index.records(doc_ids)
        others = sorted({d for r in records.values() for d in r.dups} - set(records))
        records.update(self.index.records(others))
        return {d: also_in(records, d) for d in doc_ids}

    def _with_stories(self, events: Iterator[Event]) -> Iterator[Event]:
        """Each source names the other versions of its story ("also in …"): looked up once, when the
        sources are known, and set on the sources of the final answer too."""
        found: dict[str, list] | None = None
        for event in events:
            sources = event.sources if event.kind == "sources" else event.answer.sources if event.answer else None
            if sources:
                if found is None:
                    found = self.also_in(s.doc_id for s in sources)
                for s in sources:
                    s.also_in = found.get(s.doc_id, [])
            yield event

    def ask(self, question: str, history: Sequence[dict] = (), **options: Any) -> Answer:
        for event in self.stream(question, history, **options):
            if event.answer is not None:
                return event.answer
        raise AssertionError("the answer stream ended without an answer")
