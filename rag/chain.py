"""The answer chain: question -> standalone query -> dates -> passages -> sentences -> answer -> checks.

    validate ─ follow-up ─ date filter ─ retrieve ─(sources event)─ abstain? ─ evidence ─ generate ─ check
                                                                              (refuse)   (stream)   (cite)

Generation is an LCEL pipe (messages | chat model | text); everything around it is plain code,
because the decisions that make a small model trustworthy (what context it sees, when to refuse,
which citation holds) are better made by code than by the model.
"""

from __future__ import annotations

import re
import time
from typing import Callable, Iterator, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser

from rag.answer import REFUSALS, Answer, Event, Source
from rag.citations import SUPPORT, check, render
from rag.context import Evidence, SentenceVectors, build_evidence, select_context
from rag.dates import DateFilter, merge, parse_question_dates
from rag.errors import InputError
from rag.followup import Message, needs_history, previous_question, standalone_query
from rag.language import SUPPORTED, detect_language
from rag.prompts import answer_messages
from rag.retrieval import Retriever

MAX_QUESTION_CHARS = 2000
_MODEL_REFUSAL = re.compile(
    r"staat niet in de (artikelen|bronnen)|niet in de (artikelen|bronnen)|geen informatie|"
    r"articles? (don't|do not) say|not (mentioned |stated )?in the (articles|sources)|no information",
    re.IGNORECASE,
)
STOP = ["\n\n", "\nVraag:", "\nQuestion:", "\nBronnen:", "\nSources:"]


def validate_question(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise InputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is too long ({len(question):,} characters; at most {MAX_QUESTION_CHARS:,})")
    return question


def answer_language(question: str) -> str:
    lang = detect_language(question)
    return lang if lang in SUPPORTED else "en"  # a third language gets an English answer


class AnswerChain:
    def __init__(self, retriever: Retriever, embeddings: Embeddings, llm: BaseChatModel | None, *,
                 k: int = 5, min_score: float = 0.80, support: float = SUPPORT, model: str = "", mode: str = "local",
                 newest_date: Callable[[], str | None] = lambda: None, max_context_sentences: int = 6,
                 sentence_vectors: SentenceVectors | None = None):
        self.retriever, self.embeddings, self.llm = retriever, embeddings, llm
        self.k, self.min_score, self.support, self.model, self.mode = k, min_score, support, model, mode
        self.newest_date = newest_date
        self.max_context_sentences = max_context_sentences
        self._generate = (llm | StrOutputParser()) if llm is not None else None
        self._sentence_vectors = sentence_vectors or SentenceVectors(embeddings)

    def invoke(self, question: str, history: Sequence[Message] = (), **options) -> Answer:
        for event in self.stream(question, history, **options):
            if event.kind == "answer":
                return event.answer
        raise AssertionError("stream ended without an answer")

    def stream(self, question: str, history: Sequence[Message] = (), *, dates: DateFilter | None = None,
               k: int | None = None) -> Iterator[Event]:
        question = validate_question(question)
        lang = answer_language(question)
        timings: dict[str, float] = {}
        query = standalone_query(question, history)
        filters = merge(dates or DateFilter(), parse_question_dates(query, self.newest_date()))
        retrieval = self.retriever.retrieve(query, k or self.k, filters or None)
        timings.update(retrieval.timings)
        sources = [Source(n=n, chunk_id=h.chunk_id, doc_id=h.doc_id, title=h.title, date=h.date, text=h.text,
                          start=h.start, end=h.end, heading=h.heading, score=round(h.score, 4))
                   for n, h in enumerate(retrieval.hits, 1)]
        yield Event(kind="sources", sources=sources)

        answer = Answer(question=question, answer="", language=lang, sources=sources, standalone_query=query,
                        filters={"since": filters.since, "until": filters.until, "phrase": filters.phrase},
                        model=self.model, mode=self.mode)
        answer.timings = timings  # the same dict: later stages add to it
        if not sources:
            yield self._refuse(answer, "no article matches" + (f" the dates {filters.describe()}" if filters else ""))
            return

        t0 = time.perf_counter()
        evidence = build_evidence(sources, self._sentence_vectors)
        # Retrieve with the standalone query, but pick sentences for what is asked now: after
        # "Welke groep ontmoette Blinken?", "Hoeveel geld zegde hij daar toe?" wants the money sentence.
        asked_vector = retrieval.query_vector if query == question else self.embeddings.embed_query(question)
        relevance = evidence.relevance(question, asked_vector)
        timings["embed"] = timings.get("embed", 0.0) + time.perf_counter() - t0
        closest = max(retrieval.best_similarity, float(evidence.similarities(retrieval.query_vector).max(initial=0.0)))
        if closest < self.min_score:
            yield self._refuse(answer, f"no passage is close enough to the question ({closest:.3f} < {self.min_score})")
            return

        t0 = time.perf_counter()
        if self._generate is None:
            raw = self._extractive(evidence, relevance)
        else:
            context = select_context(evidence, relevance, sources, self.max_context_sentences)
            asked = question if not needs_history(question, history) else \
                f"({previous_question(history)}) {question}"
            pieces = []
            for piece in self._generate.stream(answer_messages(asked, lang, context), stop=STOP):
                pieces.append(piece)
                yield Event(kind="token", token=piece)
            raw = "".join(pieces).strip()
        timings["generate"] = time.perf_counter() - t0
        answer.raw_answer = raw
        if not raw or _MODEL_REFUSAL.search(raw):
            yield self._refuse(answer, "the model found no answer in the sources")
            return

        t0 = time.perf_counter()
        answer.sentences, answer.citations = check(raw, evidence, sources, self.embeddings, self.support, question)
        timings["check"] = time.perf_counter() - t0
        if not any(s.supported for s in answer.sentences):
            yield self._refuse(answer, "no sentence of the answer is supported by the sources")
            return
        cited = {c.n for c in answer.citations}
        answer.sources = [s.model_copy(update={"cited": s.n in cited}) for s in sources]
        answer.answer = render(answer.sentences)
        yield Event(kind="answer", answer=answer)

    def _extractive(self, evidence: Evidence, relevance: np.ndarray) -> str:
        """The best one or two supporting sentences, verbatim and cited: no LLM needed."""
        sims = relevance
        if not len(sims):
            return ""
        order = [int(i) for i in np.argsort(-sims)]
        picked = [order[0]] + [i for i in order[1:2] if sims[i] >= sims[order[0]] - 0.015]
        return " ".join(f"{evidence.units[i].text} [{evidence.units[i].source}]" for i in picked)

    def _refuse(self, answer: Answer, why: str) -> Event:
        answer.abstained = True
        answer.answer = REFUSALS[answer.language]
        answer.sentences, answer.citations = [], []
        answer.abstain_reason = why
        return Event(kind="answer", answer=answer)
