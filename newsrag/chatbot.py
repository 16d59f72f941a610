"""The public Python API: one object that ingests, searches and answers, built from settings.

    bot = Chatbot.from_settings()            # real embedder, Chroma, local LLM (loaded on first use)
    bot.warm_up()                            # or load them now (serving processes, before questions)
    bot.ingest(["data/articles"])
    answer = bot.ask("Hoeveel geld zegde Blinken toe?")
    for event in bot.stream("En in het Engels?", history=[...]): ...

It is the one seam between the answering core and its front ends (CLI, HTTP API, OpenAI adapter,
MCP, LangChain, the UI, eval): they use the methods here, never its collaborators (``index``,
``keywords``, ``retriever``) directly.

Collaborators are passed in or built lazily by ``rag.providers``, once per bot. ``close`` (or
``with Chatbot.from_settings() as bot:``) lets go of those the bot built: the Chroma client (its
files and threads), the keyword index's SQLite connections, local chat models, the writer lock that
``hold_writer`` took. Servers keep their bot for their lifetime; a process that makes many bots
(tests, scripts) closes each, or runs out of file descriptors. Writes go
through one lock: Chroma is thread-safe but an ingest must not interleave with another ingest; and
between processes through the index's writer lock (``rag.lock``), which ``hold_writer`` keeps for
a server's lifetime. Every read first notices what other processes wrote (``refresh``, a
``rag.retrieval.Freshness``), whichever front end asks.
The index records its embedder: a write adopts it on an index without the record, and both writes
and queries refuse another (``rag.embedder_id``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import ExitStack
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.feeds import FeedOptions
from ingest.pipeline import IngestReport, LazyEmbeddings, Progress, ingest
from rag import providers
from rag.answer import AlsoIn, Answer, Event, Passage
from rag.dates import DateFilter
from rag.documents import Article
from rag.embedder_id import EmbedderId, identity_of
from rag.errors import InputError
from rag.settings import MAX_K, Settings
from rag.store import ArticleRecord
from rag.story_links import link_stories

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

    from rag.chain import AnswerChain
    from rag.evidence import SentenceVectors
    from rag.keyword import KeywordIndex
    from rag.lock import WriterLock
    from rag.retrieval import Freshness, Retriever
    from rag.store import NewsIndex

log = logging.getLogger(__name__)


def check_k(k: int | None) -> int | None:
    """A per-request k must be 1..MAX_K (the settings' own k is checked by ``Settings``)."""
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K):
        raise InputError(f"k must be a whole number from 1 to {MAX_K}, not {k!r}")
    return k


class Chatbot:
    def __init__(self, settings: Settings, *, embeddings: Embeddings | None = None, index: NewsIndex | None = None,
                 keywords: KeywordIndex | None = None, llm: BaseChatModel | None = None):
        self.settings = settings
        self._given_embeddings, self._given_index, self._given_keywords = embeddings, index, keywords
        self._given_llm = llm
        self._llms: dict[str, BaseChatModel | None] = {}  # answer mode -> its chat model
        self._chains: dict[str, AnswerChain] = {}  # answer mode -> its chain
        self._write_lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._holds_writer = False  # ``hold_writer`` took the writer lock; ``close`` gives it back
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> Chatbot:
        return cls((settings or Settings.from_env()).with_overrides(**overrides))

    def close(self) -> None:
        """Let go of what this bot built (not what was passed in): the index's Chroma clients, the
        keyword index's connections, the local chat models, and the writer lock ``hold_writer`` took.
        A second call does nothing. Afterwards every method raises ``RuntimeError`` (make a new bot):
        quietly building everything again would hide a close that came too early."""
        with self._build_lock:
            if self._closed:
                return
            self._closed = True
            llms, self._llms, self._chains = list(self._llms.values()), {}, {}
            built = {name: self.__dict__.pop(name) for name in _BUILT if name in self.__dict__}
        with ExitStack() as stack:  # each is let go of even when another fails to close
            if self._holds_writer:
                self._holds_writer = False
                stack.callback(built["writer"].release)
            if "index" in built and built["index"] is not self._given_index:
                stack.callback(built["index"].close)
            if "keywords" in built and built["keywords"] is not self._given_keywords:
                stack.callback(built["keywords"].close)
            for llm in llms:
                close = getattr(llm, "close", None)  # ChatLlamaCpp: see its close
                if callable(close):
                    stack.callback(close)

    def __enter__(self) -> Chatbot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this Chatbot is closed: make a new one (Chatbot.from_settings)")

    # -- collaborators, built once --------------------------------------------------------------
    @cached_property
    def embeddings(self) -> Embeddings:
        self._check_open()
        return self._given_embeddings or providers.build_embeddings(self.settings)

    @cached_property
    def index(self) -> NewsIndex:
        self._check_open()
        return self._given_index or providers.build_index(self.settings)

    @cached_property
    def keywords(self) -> KeywordIndex:
        self._check_open()
        return self._given_keywords or providers.build_keyword_index(self.settings)

    @cached_property
    def embedder_identity(self) -> EmbedderId:
        """The embedder's name and prefixes, known without loading the model."""
        given = self._given_embeddings
        return identity_of(given) if given is not None else providers.embedder_identity(self.settings)

    @cached_property
    def writer(self) -> WriterLock:
        """The index's single-writer lock, shared with other processes (``rag.lock``)."""
        self._check_open()
        return providers.build_writer_lock(self.settings)

    @cached_property
    def freshness(self) -> Freshness:
        """What other processes wrote, noticed before each read (``rag.retrieval.Freshness``)."""
        from rag.retrieval import Freshness

        return Freshness(self.index, self.keywords, shared=self.settings.uses_chroma_server)

    def hold_writer(self, wait: float = 2.0) -> None:
        """Hold the writer lock until this process ends (``newsrag serve``, ``newsrag chat``), so no
        other process writes the embedded index under us (or until ``close``; a second call does
        nothing). A Chroma server is process-safe: there each write takes the lock only while it runs."""
        if not self.settings.uses_chroma_server and not self._holds_writer:
            self.writer.acquire(wait)
            self._holds_writer = True

    def refresh(self) -> None:
        """See what other processes wrote: reopen an embedded index another process changed and
        bring the keyword index up to date (cheap when nothing changed: one ``stat``). Retrieval does
        this itself; reads of the store alone only reopen (``Freshness.reopen_if_changed``)."""
        self.freshness()

    def llm_for(self, mode: str) -> BaseChatModel | None:
        """The chat model for an answer mode, built once per mode (None for extractive)."""
        if mode == self.settings.answer_mode and self._given_llm is not None:
            return self._given_llm
        with self._build_lock:
            self._check_open()
            if mode not in self._llms:
                self._llms[mode] = providers.build_llm(self.settings.with_overrides(answer_mode=mode))
            return self._llms[mode]

    def warm_up(self, mode: str | None = None) -> float:
        """Load now what the first question would otherwise load: the embedder (and its first run),
        the index and keyword index (brought up to date), the answer chain and its imports, and the
        mode's chat model (in local mode the model itself, with the judge, phrase and rewrite prompts' fixed parts
        prefilled or loaded from the last process: ``ChatLlamaCpp.prime``). Serving processes
        (``serve``, ``chat``, ``mcp``) call this before they take questions. Returns the seconds taken."""
        t0 = time.perf_counter()
        mode = mode or self.settings.answer_mode
        self.embeddings.embed_query("warm up")  # loads the model and runs it once (first-run allocations)
        if not self.is_empty():
            self.retriever.retrieve("warm up", 1)  # keyword index, Chroma's vector segment
        self.newest_date()
        self.chain(mode)  # imports the chain (LangChain's chat-model classes) and builds the mode's model
        llm = self.llm_for(mode)
        prime, load = getattr(llm, "prime", None), getattr(llm, "load", None)
        if callable(prime):
            from rag.prompts import judge_messages, phrase_messages, rewrite_messages

            # ChatLlamaCpp: its weights, and the KV cells of the fixed prompt parts the chain uses for Dutch
            # articles (the rewrite's worked examples too: a follow-up then prefills only its own turn); an
            # English article's phrasing prompt is kept once first used
            prime([judge_messages("?", 1, "?")] + [phrase_messages("?", lang, [(1, "?")]) for lang in ("nl", "en")]
                  + [rewrite_messages("?", "?", "?")])
        elif callable(load):
            load()  # loads its weights lazily otherwise
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
            self.freshness.reopen_if_changed()  # another process may have written before we got the lock
            self.index.claim_embedder(self.embedder_identity, adopt=True)
            # The embedder loads only when something needs embedding (not for an unchanged re-ingest).
            embeddings = LazyEmbeddings(lambda: self.embeddings)
            t0 = time.perf_counter()
            report = ingest(list(paths), self.index, embeddings,
                            self.keywords, prune=prune, replace=replace, progress=progress, feeds=feeds,
                            changed=changed)
            self.freshness.mark_current()  # the ingest brought the keyword index up to date
            _log_ingest(report, time.perf_counter() - t0)
            return report

    def delete(self, doc_id: str, *, wait: float = 30.0) -> bool:
        with self._write_lock, self.writer(wait):
            self.freshness.reopen_if_changed()
            found = self.index.delete_article(doc_id)
            if found:
                link_stories(self.index)  # its story's others no longer name it
                self.freshness.catch_up()  # the keyword index drops it (left as it is while another process holds it)
            log.info("delete %s: %s", doc_id, "removed" if found else "not found")
            return found

    def documents(self) -> list[ArticleRecord]:
        """Every indexed article's record, newest first."""
        self.freshness.reopen_if_changed()
        return sorted(self.index.records().values(), key=lambda r: (r.date, r.doc_id), reverse=True)

    def article(self, doc_id: str) -> Article | None:
        """One article, its full text as ingested; None when there is no such id."""
        self.freshness.reopen_if_changed()
        return self.index.article(doc_id)

    def article_texts(self, doc_ids: Iterable[str] | None = None) -> dict[str, str]:
        """doc_id -> full article text, for the given ids (those that exist) or every article."""
        self.freshness.reopen_if_changed()
        ids = self.index.all_ids(self.index.articles) if doc_ids is None else list(dict.fromkeys(doc_ids))
        return self.index.texts(ids)

    def count(self) -> int:
        """Chunks in the index (0: nothing ingested yet)."""
        self.freshness.reopen_if_changed()
        return self.index.count()

    def is_empty(self) -> bool:
        return self.count() == 0

    def newest_date(self) -> str | None:
        """The newest article date: "vorig jaar" in a question counts back from it (one indexed
        lookup in the keyword index, which keeps every article's date)."""
        self.refresh()
        return self.keywords.newest_date()

    # -- retrieval ------------------------------------------------------------------------------
    @cached_property
    def sentence_vectors(self) -> SentenceVectors:
        """Sentence vectors per chunk, shared by the answer chains of every mode."""
        from rag.evidence import SentenceVectors

        return SentenceVectors(self.embeddings)

    @cached_property
    def retriever(self) -> Retriever:
        from rag.retrieval import Retriever

        self.index.claim_embedder(self.embedder_identity, adopt=False)  # refuse another model's index
        keywords = self.keywords if self.settings.retriever == "hybrid" else None
        return Retriever(self.index, self.embeddings, keywords, bm25_weight=self.settings.bm25_weight,
                         fetch_k=self.settings.fetch_k, fresh=self.freshness)

    def search(self, query: str, k: int | None = None, since: str | None = None,
               until: str | None = None) -> list[Passage]:
        """The ``k`` passages that best match ``query`` (dated ``since``..``until``), best first, each
        naming the other versions of its story."""
        dates = DateFilter(since or None, until or None)  # validates both dates
        k = check_k(k) or self.settings.k
        hits = self.retriever.retrieve(self.retriever.respelled(query), k, dates or None).hits
        also = self.also_in(h.doc_id for h in hits)
        return [Passage.of(h, also_in=also[h.doc_id]) for h in hits]

    # -- answers --------------------------------------------------------------------------------
    def chain(self, mode: str | None = None) -> AnswerChain:
        """The answer chain for a mode (local, extractive or server), built once per mode."""
        from rag.chain import AnswerChain

        mode = mode or self.settings.answer_mode
        if mode not in self._chains:
            self._chains[mode] = AnswerChain(
                self.retriever, self.embeddings, self.llm_for(mode), k=self.settings.k,
                min_score=self.settings.min_score, support=self.settings.support_score, mode=mode,
                model=providers.model_name(self.settings.with_overrides(answer_mode=mode)),
                newest_date=self.newest_date, sentence_vectors=self.sentence_vectors,
                answer_threshold=self.settings.answer_threshold, judge_sentences=self.settings.judge_sentences)
        return self._chains[mode]

    def stream(self, question: str, history: Sequence[dict] = (), *, mode: str | None = None,
               since: str | None = None, until: str | None = None, k: int | None = None) -> Iterator[Event]:
        """Events: ``sources`` first, then ``token``s, then the checked ``answer``."""
        from rag.chain import validate_question

        question = validate_question(question)  # before any model loads: bad input fails fast
        check_k(k)
        dates = DateFilter(since or None, until or None)
        return self._with_stories(self.chain(mode).stream(question, history, dates=dates, k=k))

    def also_in(self, doc_ids: Iterable[str]) -> dict[str, list[AlsoIn]]:
        """doc_id -> the other versions of its story (newest first; [] for none)."""
        from rag.stories import also_in

        doc_ids = sorted(set(doc_ids))
        records = self.index.records(doc_ids)
        others = sorted({d for r in records.values() for d in r.dups} - set(records))
        records.update(self.index.records(others))
        return {d: also_in(records, d) for d in doc_ids}

    def _with_stories(self, events: Iterator[Event]) -> Iterator[Event]:
        """Each source names the other versions of its story ("also in …"): looked up once, when the
        sources are known, and set on the sources of the final answer too. The answer's stages are
        logged when it is done."""
        found: dict[str, list[AlsoIn]] | None = None
        for event in events:
            sources = event.sources if event.kind == "sources" else event.answer.sources if event.answer else None
            if sources:
                if found is None:
                    found = self.also_in(s.doc_id for s in sources)
                for s in sources:
                    s.also_in = found.get(s.doc_id, [])
            if event.answer is not None:
                _log_answer(event.answer)
            yield event

    def ask(self, question: str, history: Sequence[dict] = (), **options: Any) -> Answer:
        for event in self.stream(question, history, **options):
            if event.answer is not None:
                return event.answer
        raise AssertionError("the answer stream ended without an answer")


# What ``close`` drops, so nothing built from a closed collaborator is used again.
_BUILT = ("embeddings", "index", "keywords", "writer", "freshness", "sentence_vectors", "retriever")


def _log_ingest(report: IngestReport, seconds: float) -> None:
    """One INFO line per stage of an ingest (``newsrag -v``): read and compare, embed and write,
    prune, stories, keyword index."""
    counts = report.counts()
    log.info("ingest read %.1fs: %s", seconds, ", ".join(f"{v} {k}" for k, v in counts.items() if k != "removed"))
    log.info("ingest embed: %d chunks embedded and written (%d articles)", report.chunks_embedded,
             len(report.added) + len(report.updated))
    if report.removed:
        log.info("ingest prune: %d removed (%s)", len(report.removed), ", ".join(report.removed[:5]))
    log.info("ingest stories: %s", "; ".join(report.linked) if report.linked else "no new story")
    log.info("ingest keywords: %s", "unchanged" if report.keyword_chunks is None
             else f"{report.keyword_chunks} chunks (re)indexed")


def _log_answer(answer: Answer) -> None:
    """One INFO line per stage the answer went through, from its timings and decision."""
    t = answer.timings
    if "rewrite" in t:
        log.info("rewrite %.2fs: searched as %r", t["rewrite"], answer.standalone_query[:120])
    if "embed" in t:
        log.info("embed %.2fs: the query and the sentences of the passages", t["embed"])
    if "decide" in t:
        log.info("decide %.2fs: P(answer) %s against threshold %s", t["decide"],
                 answer.decision.get("p_answer"), answer.decision.get("threshold"))
    if "generate" in t:
        log.info("generate %.2fs: %r", t["generate"], answer.raw_answer[:120])
    if "check" in t:
        log.info("check %.2fs: %d sentences kept, %d dropped, %d citations", t["check"], len(answer.sentences),
                 len(answer.dropped), len(answer.citations))
    log.info("answer (%s mode, %d sources): %s", answer.mode, len(answer.sources),
             f"refused ({answer.abstain_reason})" if answer.abstained else answer.answer[:120])
