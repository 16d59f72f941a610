"""The answer chain: question -> standalone query -> dates -> passages -> sentences -> answer -> checks.

    validate ─ follow-up ─ date filter ─ retrieve ─(sources event)─ close enough? ─ evidence
        ─ judge each candidate (rag.decide) ─ answer? ─ phrase ─ check ─ quote fallback ─ stream checked text
                                                (refuse)

Phrasing is an LCEL pipe (messages | chat model | text); everything around it is plain code,
because the decisions that make a small model trustworthy (what evidence it sees, when to refuse,
which citation holds) are better made by code than by the model. Extractive mode skips the model:
the best one or two sentences, verbatim.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.answer import REFUSALS, Answer, AnswerSentence, Event, Source
from rag.citations import SUPPORT, check, citation_for, render
from rag.context import Evidence, SentenceVectors, build_evidence, pick_evidence, top_units
from rag.decide import SECOND_SOURCE_P, judge
from rag.dates import DateFilter, merge, parse_question_dates
from rag.errors import InputError
from rag.followup import Message, needs_history, previous_question, standalone_query
from rag.language import SUPPORTED, detect_language
from rag.prompts import phrase_messages, quote_sentence
from rag.retrieval import Retriever

if TYPE_CHECKING:  # LangChain's chat-model classes take ~0.4 s to import; extractive answers need none
    from langchain_core.language_models import BaseChatModel

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
    if not re.search(r"[^\W\d_]{2}", question):  # "🙂🙂", "???", "123": nothing to search for
        raise InputError("the question holds no words")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is too long ({len(question):,} characters; at most {MAX_QUESTION_CHARS:,})")
    return question


def answer_language(question: str) -> str:
    lang = detect_language(question)
    return lang if lang in SUPPORTED else "en"  # a third language gets an English answer


class AnswerChain:
    def __init__(self, retriever: Retriever, embeddings: Embeddings, llm: BaseChatModel | None, *,
                 k: int = 5, min_score: float = 0.80, support: float = SUPPORT, model: str = "", mode: str = "local",
                 newest_date: Callable[[], str | None] = lambda: None, judge_sentences: int = 5,
                 sentence_vectors: SentenceVectors | None = None, answer_threshold: float = 0.35):
        self.retriever, self.embeddings, self.llm = retriever, embeddings, llm
        self.k, self.min_score, self.support, self.model, self.mode = k, min_score, support, model, mode
        self.newest_date = newest_date
        self.judge_sentences = judge_sentences
        self.answer_threshold = answer_threshold
        self._generate = None
        if llm is not None:
            from langchain_core.output_parsers import StrOutputParser

            self._generate = llm.bind(stop=STOP) | StrOutputParser()
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

        if self.llm is None:
            yield from self._answer_extractive(answer, evidence, relevance, sources, question)
        else:
            asked = f"({previous_question(history)}) {question}" if needs_history(question, history) else question
            yield from self._answer_with_model(answer, evidence, relevance, sources, question, asked)

    # -- extractive: no model ----------------------------------------------------------------------
    def _answer_extractive(self, answer: Answer, evidence: Evidence, relevance: np.ndarray,
                           sources: list[Source], question: str) -> Iterator[Event]:
        t0 = time.perf_counter()
        raw = self._extractive(evidence, relevance)
        answer.timings["generate"] = time.perf_counter() - t0
        answer.raw_answer = raw
        t0 = time.perf_counter()
        answer.sentences, answer.citations = check(raw, evidence, sources, self.embeddings, self.support, question)
        answer.timings["check"] = time.perf_counter() - t0
        if not any(s.supported for s in answer.sentences):
            yield self._refuse(answer, "no sentence of the answer is supported by the sources")
            return
        yield from self._emit(answer, sources)

    # -- with a model: choose (decide), phrase, check, fall back to the quote -----------------------
    def _answer_with_model(self, answer: Answer, evidence: Evidence, relevance: np.ndarray,
                           sources: list[Source], question: str, asked: str) -> Iterator[Event]:
        """``asked``: the question, with the previous one in brackets when it leans on it."""
        lang = answer.language
        candidates = top_units(evidence, relevance, self.judge_sentences)
        t0 = time.perf_counter()
        judged = judge(self.llm, asked, [(evidence.units[i].source, evidence.units[i].text) for i in candidates])
        answer.timings["decide"] = time.perf_counter() - t0
        answer.decision = {"p_answer": round(judged.p_answer, 4), "threshold": self.answer_threshold,
                           "candidates": [{"source": evidence.units[i].source, "text": evidence.units[i].text,
                                           "p_yes": round(p, 4)} for i, p in zip(candidates, judged.p_yes)]}
        if judged.p_answer < self.answer_threshold:
            yield self._refuse(answer, f"no sentence answers the question (P = {judged.p_answer:.2f} "
                                       f"< {self.answer_threshold})")
            return
        order = judged.ranked()
        # A question that names two dates ("in 2021, and in 2023") wants an article of each: the best
        # sentence of a second article joins however it was judged.
        two_dates = " … " in (answer.filters.get("phrase") or "")
        chosen = pick_evidence([candidates[j] for j in order], [judged.p_yes[j] for j in order], evidence,
                               0.0 if two_dates else SECOND_SOURCE_P)
        numbered = [(evidence.units[i].source, evidence.units[i].text) for i in chosen]
        t0 = time.perf_counter()
        raw = self._generate.invoke(phrase_messages(asked, lang, numbered)).strip()
        answer.timings["generate"] = time.perf_counter() - t0
        answer.raw_answer = raw
        t0 = time.perf_counter()
        sentences_, citations = ([], []) if not raw or _MODEL_REFUSAL.search(raw) else check(
            raw, evidence, sources, self.embeddings, self.support, question, strict=True, allowed=set(chosen))
        answer.timings["check"] = time.perf_counter() - t0
        answer.dropped = [s for s in sentences_ if not s.supported]
        answer.sentences = [s for s in sentences_ if s.supported]
        answer.citations = citations
        if not answer.sentences:  # the model's wording failed the check: quote the evidence instead
            unit = evidence.units[chosen[0]]
            answer.sentences = [AnswerSentence(text=quote_sentence(lang, unit.text) + ".", citations=[unit.source],
                                               note="quoted: the model's wording did not pass the check")]
            answer.citations = [citation_for(next(s for s in sources if s.n == unit.source), unit, 1.0)]
        yield from self._emit(answer, sources)

    def _emit(self, answer: Answer, sources: list[Source]) -> Iterator[Event]:
        """Only checked text reaches the user: the checked sentences as tokens, then the answer."""
        cited = {c.n for c in answer.citations}
        answer.sources = [s.model_copy(update={"cited": s.n in cited}) for s in sources]
        answer.answer = render(answer.sentences)
        for i, sentence in enumerate(render([s]) for s in answer.sentences):
            yield Event(kind="token", token=(" " if i else "") + sentence)
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
