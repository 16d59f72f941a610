"""The answer chain: question -> standalone query -> dates -> passages -> sentences -> answer -> checks.

    validate ─ follow-up ─ date filter ─ retrieve ─(sources event)─ close enough? ─ evidence
        ─ judge each candidate (rag.decide) ─ answer? ─ phrase ─ check ─ quote fallback ─ stream checked text
                                                (refuse)

Phrasing is an LCEL pipe (messages | chat model | text); everything around it is plain code,
because the decisions that make a small model trustworthy (what evidence it sees, when to refuse,
which citation holds) are better made by code than by the model. Extractive mode skips the model:
the best one or two sentences, verbatim. A question about how something developed (``rag.timeline``)
takes its own path after the evidence: one judged, phrased, checked line per article, oldest first.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.answer import (
    HALF_WORDED,
    LEFT_OUT,
    NOT_ANSWERED,
    PART_REFUSALS,
    QUOTED,
    REFUSALS,
    Answer,
    AnswerSentence,
    Citation,
    Event,
    Source,
    refusal_reason,
)
from rag.answer_kind import asks_for, asks_why, gives_reason, holds_all, keeps, next_holds
from rag.citations import check, citation_for, note_across_languages, render
from rag.dates import DateFilter, merge, parse_question_dates, reported_by, without_years, years_of
from rag.decide import (
    SECOND_SOURCE_P,
    Judgement,
    answerability,
    answers_no,
    judge,
    lacks_answer,
    on_point,
    threshold_for,
    with_corrections,
    with_holders,
    yes_no,
)
from rag.errors import InputError
from rag.evidence import Evidence, SentenceVectors, Unit, build_evidence, carried, pick_evidence, top_units
from rag.followup import Message, model_rewrite, needs_history, previous_question, standalone_query, told_before
from rag.language import SUPPORTED, detect_language
from rag.modality import only_ahead
from rag.names import mentions, name_words, named_subject, question_names
from rag.parts import Part, compares, leans, side_keeps, sides, split_question
from rag.premise import premise_cut
from rag.prompts import phrase_messages, quote_sentence
from rag.retrieval import Retrieval, Retriever
from rag.sentences import sentences
from rag.store import Hit
from rag.timeline import date_label, dated, from_then_on, in_date_order, is_timeline, per_article, subject

if TYPE_CHECKING:  # LangChain's chat-model classes take ~0.4 s to import; extractive answers need none
    from langchain_core.language_models import BaseChatModel

MAX_QUESTION_CHARS = 2000
PART_HITS = 2  # extra passages a part of a two-part question may add to the sources
STORY_UNITS = 5  # a plan-and-outcome question's story: the articles of the whole question's best sentences
MAX_SPAN_YEARS = 6  # a timeline question searches each year of its span, up to this many
TIMELINE_MARGIN = 0.05  # a timeline's articles: those whose best sentence is this close to the best one
# The 1.5B judge rarely says one sentence answers "how did X develop?" (P 0.1-0.4 for most lines): a
# timeline is answered when its best line passes the answer threshold, and then every article close
# to the best joins unless the judge is sure none of its sentences answers. On the 19 training
# timelines 0.2 -> 0.1 gained one (7 -> 8, a 2021 line judged 0.12); the blind timeline_trial2 is the
# same at 0.2 and 0 (docs/eval.md, stop 40).
TIMELINE_JOIN_P = 0.1
# An article's line: its sentence most about the subject plus this part of the judge probe's P. On the
# 32 training timelines the gold sentence was the line 23 times of 64 by the subject alone, 30 at 0.3
# (+8 −2; 29 at 0.5 and 1.0, 28 at 2.0), against 24-26 by P(Yes) (docs/eval.md, stop 51).
LINE_PROBE_WEIGHT = 0.3
# A sentence already in the answer for one part answers another part too when it is that part's best
# and judged at least this likely for it (as a timeline's other articles join at a low P): the
# Kazakhstan sentence that also says "waar veel mensen van Russische afkomst wonen" scored 0.29.
SHARED_P = 0.2
# A one-part question asked in another language than its articles', about to be refused, has this
# many more sentences judged, the next in the ranking (``AnswerChain._answer_with_model``).
SECOND_LOOK = 3
# A one-part question that states a premise in a clause of its own ("… nadat ze vertrok als
# wethouder?", ``rag.premise``) and is about to be answered has its best sentences judged again
# without the clause, this many; the lower score counts. 0: off.
PREMISE_RECHECK = 2
# The phrasing model saying that what it was shown holds no answer: "The sentences do not provide any
# information about Putin's jealousy." (found asking new questions as a user would).
_MODEL_REFUSAL = re.compile(
    r"staat niet in de (artikelen|bronnen)|niet in de (artikelen|bronnen)|geen informatie|"
    r"articles? (don't|do not) say|not (mentioned |stated )?in the (articles|sources)|no information|"
    r"\b(sentences?|articles?|sources?|passages?|text|context)\s+(do|does|did)(\s+not|n't)\s+"
    r"(provide|contain|mention|say|state|give|specify|include|answer)\b|"
    r"\b(zin|zinnen|artikel|artikelen|bron|bronnen|tekst)\s+(bevat|bevatten|noemt|noemen|vermeldt|vermelden|zegt|zeggen"
    r"|geeft|geven)\s+(geen|niet|niets)\b",
    re.IGNORECASE,
)
# When the phrasing model finds no answer in the chosen sentence, that sentence is quoted instead only
# when judged at least this likely (or it corrects the question): a weaker one is no answer twice over,
# and quoting it showed "“Goede buren en betrouwbare partners”, omschreef Xi de relatie." (P 0.50) for
# "Why did Biden call Xi a murderer?".
QUOTE_P = 0.6
# When the model's wording of the chosen sentence fails the check, that sentence is quoted instead, but
# not when it was judged below this: a question just over the answer threshold whose best sentence the
# model could not word is no answer twice over. Replayed on the nine training sets' quoted answers
# (docs/eval.md, stop 36): of 8 quoted below 0.4, 4 answered unanswerable questions („Een korting op de
# energierekening krijgen omwonenden niet” for "Welke advocaat stond de omwonenden bij?"), 2 were
# wrong and 2 right; below 0.5, 6 unanswerable and 5 right; below 0.6, 10 and 10.
# A sentence that only looks ahead is passed over for the next one judged at most this much less
# likely; else the question is refused: replayed on the yes/no training runs (docs/eval.md, stop 37),
# the next sentences of the five unanswerable questions whose best sentence looks ahead were judged
# 0.25-0.55 lower, and answer nothing asked.
AHEAD_MARGIN = 0.1
WORDED_P = 0.4
# A day, time or duration asked for may be in a short sentence that ranks below the candidates
# ("Pas om 01.15 uur viel het besluit."): when candidates lack one, the next most relevant sentences
# that hold one are judged in their place. Rerun on the training questions with such candidates: 3
# of those asking a day, time or duration gained, none lost; of the 35 asking a number or a name, none
# gained and one unanswerable was answered (the judge says yes to any on-topic number), so numbers
# and names keep the plain candidates.
BACKFILL_KINDS = frozenset({"day", "time", "duration"})
# Words someone said may also be reported with no quote or verb of saying that ``rag.answer_kind``
# knows: when no candidate shows one, all of them are judged (only one that does drops the others).
SOFT_KINDS = frozenset({"said"})
_CODE = re.compile(r"\b(select|insert|update|delete|drop|union)\b.{0,80}\b(from|into|table|set|select)\b.{0,80}(;|--|\*|=)"
                   r"|;\s*--|<\s*/?\s*(script|iframe|img|svg)\b", re.IGNORECASE | re.DOTALL)
STOP = ["\n\n", "\nVraag:", "\nQuestion:", "\nBronnen:", "\nSources:"]


def validate_question(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise InputError("the question is empty")
    if not re.search(r"[^\W\d_]{2}", question):  # "🙂🙂", "???", "123": nothing to search for
        raise InputError("the question holds no words")
    if _CODE.search(question):  # "'; DROP TABLE chunks; --": the nearest sentence would be no answer
        raise InputError("the question looks like code (SQL or HTML), not a question")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is too long ({len(question):,} characters; at most {MAX_QUESTION_CHARS:,})")
    return question


def answer_language(question: str) -> str:
    lang = detect_language(question)
    return lang if lang in SUPPORTED else "en"  # a third language gets an English answer


class AnswerChain:
    def __init__(self, retriever: Retriever, embeddings: Embeddings, llm: BaseChatModel | None, *,
                 k: int, min_score: float, support: float, answer_threshold: float, judge_sentences: int,
                 model: str = "", mode: str = "local", newest_date: Callable[[], str | None] = lambda: None,
                 sentence_vectors: SentenceVectors | None = None):
        """The thresholds have no defaults here: ``rag.settings.Settings`` is their one home."""
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

    def stream(self, question: str, history: Sequence[Message] = (), *, dates: DateFilter | None = None,
               k: int | None = None) -> Iterator[Event]:
        """``question``: already checked by ``validate_question`` (``Chatbot.stream`` does, before any
        model loads)."""
        lang = answer_language(question)
        timings: dict[str, float] = {}
        query = standalone_query(question, history)
        rewrite = None
        leans = needs_history(question, history)
        if self.llm is not None and leans:
            t0 = time.perf_counter()
            rewrite = model_rewrite(self.llm, question, history)
            timings["rewrite"] = time.perf_counter() - t0
        # searched with the names as the articles write them ("Lukashenko" -> "Loekasjenko")
        query = self.retriever.respelled(rewrite or query)
        asked = rewrite or question  # what the evidence is ranked, judged and checked against
        found = parse_question_dates(query, self.newest_date())
        texts = split_question(asked)
        timeline = len(texts) == 1 and is_timeline(asked)
        if timeline:  # "… after the 2021 disaster?" asks what came after 2021, not only 2021's articles
            found = from_then_on(found, asked)
        filters = merge(dates or DateFilter(), found)
        # A timeline wants several dates: it retrieves twice as many passages, and each year of its span.
        retrieval = self.retriever.retrieve(query, (k or self.k) * (2 if timeline else 1), filters or None)
        timings.update(retrieval.timings)
        # A period is reported on after it: when there are articles of the asked time, the search runs a
        # few months past it (``reported_by``). With none, the question is refused or its year looked
        # for in the articles as before ("Wie won de Tour de France in 2022?" is not asked of 2023's articles);
        # a timeline searches each year of its span, and the caller's own dates hold as they are.
        searched = merge(dates or DateFilter(), reported_by(found))
        if retrieval.hits and not timeline and searched != filters:
            retrieval = self.retriever.retrieve(query, k or self.k, searched, retrieval.query_vector)
            _add_timings(timings, retrieval.timings)
        mentioned = ""
        if not retrieval.hits and filters.phrase and not timeline:  # no article is from the asked time
            years = years_of(filters.phrase)
            wider = self._naming_year(query, years, dates or DateFilter(), k or self.k, timings)
            if wider.hits:
                mentioned = ", ".join(sorted(years))
                retrieval, filters = wider, dates or DateFilter()
        hits = list(retrieval.hits)
        if len(texts) > 1 and not compares(texts):  # each part also searches by itself, with its own dates: its
            # article may be another (a comparison with the plan asks the same question of both sides)
            hits += self._part_hits(texts, dates, {h.chunk_id for h in hits}, timings)
        if timeline and filters.since:
            hits += self._year_hits(query, retrieval.query_vector, filters, {h.chunk_id for h in hits}, timings)
        sources = [Source.of(h, n=n) for n, h in enumerate(hits, 1)]
        yield Event(kind="sources", sources=sources)

        answer = Answer(question=question, answer="", language=lang, sources=sources, standalone_query=query,
                        filters={"since": filters.since, "until": filters.until, "phrase": filters.phrase,
                                 **({"mentions": mentioned} if mentioned else {})},
                        model=self.model, mode=self.mode)
        answer.timings = timings  # the same dict: later stages add to it
        if not sources:
            yield (self._refuse(answer, "no_article_dated", dates=filters.describe()) if filters
                   else self._refuse(answer, "no_article"))
            return

        t0 = time.perf_counter()
        evidence = build_evidence(sources, self._sentence_vectors, detect_language(question, default=""))
        # Retrieve with the standalone query, but pick sentences for what is asked now: after
        # "Welke groep ontmoette Blinken?", "Hoeveel geld zegde hij daar toe?" wants the money sentence.
        asked_vector = retrieval.query_vector if query == asked else self.embeddings.embed_query(asked)
        # A timeline's years mark its span, and the sentences that name them are often its lines
        # ("sinds 2021"): they stay words there (without them the 2021 article fell out of the
        # sample articles' Russia-China timeline). Any other question's relevance is less the
        # closeness to the names it is about (``Evidence.relevance``); a timeline's lines are about them.
        relevance = evidence.relevance(asked, asked_vector, dated=bool(filters) and not timeline,
                                       subject=None if timeline else self._subject_vector(asked))
        # a follow-up asks something new: what the turn before said is not judged (``told_before``)
        told = np.array(told_before([u.text for u in evidence.units], history) if leans else [False] * len(evidence.units),
                        dtype=bool)
        timings["embed"] = timings.get("embed", 0.0) + time.perf_counter() - t0
        closest = max(retrieval.best_similarity, float(evidence.similarities(retrieval.query_vector).max(initial=0.0)))
        if closest < self.min_score:
            yield self._refuse(answer, "too_far", closest=float(closest), min_score=self.min_score)
            return

        if timeline:
            # each article's line is ranked by what the question is about, not by how it asks for a
            # development ("… in de loop van de tijd veranderd?"): rag.timeline.subject
            about = subject(asked)
            lines = relevance if about == asked else evidence.relevance(about, self.embeddings.embed_query(about))
            lines = carried(evidence, _without(lines, told), sources)
            groups = self._timeline_groups(evidence, relevance, sources, asked, lines)
            if len(groups) > 1 or filters:
                yield from self._answer_timeline(answer, evidence, groups, sources, asked, lines)
                return
            # One article on the subject, and no span of dates asked about, tells no development: "Hoe
            # verliep de stemming in Provinciale Staten?" asks how one vote went (the new trial of stop
            # 36: a dated quote of the wrong sentence), answered as a plain question (its relevance
            # as a plain question's: no dates, less the closeness to its names). "… sinds 2021?" with
            # one article found keeps its dated line.
            relevance = evidence.relevance(asked, asked_vector, subject=self._subject_vector(asked))
        t0 = time.perf_counter()
        parts = self._parts(evidence, sources, texts, relevance)
        timings["embed"] += time.perf_counter() - t0
        if self.llm is None:
            yield from self._answer_extractive(answer, evidence, parts, sources, question, told)
        else:
            context = previous_question(history) if rewrite is None and leans else ""
            yield from self._answer_with_model(answer, evidence, parts, sources, asked, context, told)

    def _naming_year(self, query: str, years: set[str], explicit: DateFilter, k: int,
                     timings: dict[str, float]) -> Retrieval:
        """The passages on the subject of ``query`` that name one of the question's ``years``, found in
        articles of any date (``explicit``: the caller's own dates still hold). "Which ruling in 2019
        brought construction to a halt?" asked of articles of 2022: none is from 2019, but the year
        dates what is asked, not the article. The subject is searched without the year (with it,
        keyword search finds any passage that names the year: "De C5+1 is in 2015 opgericht" for
        "Wat gebeurde er in 2015 met de Geul?")."""
        wider = self.retriever.retrieve(without_years(query), k, explicit or None)
        _add_timings(timings, wider.timings)
        return Retrieval([h for h in wider.hits if years & years_of(h.text)], wider.query_vector)

    def _part_hits(self, texts: list[str], dates: DateFilter | None, seen: set[str],
                   timings: dict[str, float]) -> list[Hit]:
        """The best passages for each part of a question that the whole question did not find. A later
        part is searched with the first, which names who it is about."""
        newest = self.newest_date()
        return self._more_hits([(f"{texts[0]} {text}" if j else text,
                                 merge(dates or DateFilter(), parse_question_dates(text, newest)))
                                for j, text in enumerate(texts)], seen, timings)

    def _year_hits(self, query: str, vector: list[float], filters: DateFilter, seen: set[str],
                   timings: dict[str, float]) -> list[Hit]:
        """The best passages of each year of a timeline's span that the whole span did not find: one
        busy year must not crowd the others out."""
        since = filters.since or ""  # set: only a timeline with a start date searches its years
        first = int(since[:4])
        last = int((filters.until or self.newest_date() or since)[:4])
        years = range(max(first, last - MAX_SPAN_YEARS + 1), last + 1)
        return self._more_hits([(query, DateFilter(str(y), str(y))) for y in years], seen, timings, {query: vector})

    def _more_hits(self, searches: list[tuple[str, DateFilter]], seen: set[str],
                   timings: dict[str, float], vectors: dict[str, list[float]] | None = None) -> list[Hit]:
        """For each (query, dates) search, its best passages not found yet (at most ``PART_HITS``).
        ``vectors``: query embeddings already made; each query is embedded once."""
        found: list[Hit] = []
        vectors = dict(vectors or {})
        for query, dates in searches:
            retrieval = self.retriever.retrieve(query, self.k, dates or None, vectors.get(query))
            vectors[query] = retrieval.query_vector
            _add_timings(timings, retrieval.timings)
            new = [h for h in retrieval.hits if h.chunk_id not in seen][:PART_HITS]
            seen.update(h.chunk_id for h in new)
            found += new
        return found

    def _parts(self, evidence: Evidence, sources: list[Source], texts: list[str],
               relevance: np.ndarray) -> list[Part]:
        """One ranking of the evidence per part of the question (``rag.parts``); one part for most.

        A question of one part keeps to the articles that name what it names, when any does. A part
        ranks by its own relevance, plus the whole question's when it names nobody ("where did he
        finish?"; the whole question would pull a part that names its subject towards the other part)
        and then keeps to the articles that name what the question names; and a part keeps to the
        articles of its own date when it names one (the other part's search may have added articles of
        other dates, even when this part's date is the whole question's). A question that sets a plan
        against what came of it, its parts naming no date, takes the plan from the story's earlier
        articles and the outcome from its later ones (``rag.parts.side_keeps``)."""
        # "who pays most of it?" is about what the question named ("the Waalbrug"): not a sentence of
        # another article that shares only "pays" ("waarvan het Rijk 60 procent betaalt"). A question
        # that names something keeps to the articles that name it too: "At what time does the book bus
        # stop in Eexterwolde?" was answered from another article's bus times.
        about = _sources_naming(question_names(" ".join(texts)), sources)
        named = np.array([u.source in about for u in evidence.units], dtype=bool)
        if len(texts) == 1:
            return [Part(texts[0], np.where(named, relevance, -np.inf))]
        dated = {s.n: s.date for s in sources}
        # what was planned and what came of it: the plan from an earlier article of the story (the
        # articles of the whole question's best sentences), the outcome from a later one (``rag.parts.sides``)
        marks = sides(texts)
        story: set[str | None] = set()
        if any(marks):
            whole = np.where(named, relevance, -np.inf)
            story = {dated[evidence.units[i].source] for i in top_units(evidence, whole, STORY_UNITS) if np.isfinite(whole[i])}
            if compares(texts) and side_keeps("now", [dated[u.source] for u in evidence.units], story) is None:
                return [Part(texts[0], whole)]  # a comparison with the plan, its story told at one date
        out = []
        for j, text in enumerate(texts):
            when = parse_question_dates(text, self.newest_date())
            scores = evidence.relevance(text, self.embeddings.embed_query(text), dated=bool(when),
                                        subject=self._subject_vector(text))
            if leans(texts, j):
                scores = np.where(named, scores + relevance, -np.inf)
            keeps_to = None
            if when:
                keeps_to = np.array([when.matches(dated[u.source]) for u in evidence.units], dtype=bool)
            elif (side := side_keeps(marks[j], [dated[u.source] for u in evidence.units], story)) is not None:
                keeps_to = side
            if keeps_to is not None and (keeps_to & np.isfinite(scores)).any():
                scores = np.where(keeps_to, scores, -np.inf)
            out.append(Part(text, scores))
        return out

    def _subject_vector(self, question: str) -> list[float] | None:
        """The vector of the names ``question`` is about (``rag.names.named_subject``), None when it
        names none: ``Evidence.relevance`` takes part of the closeness to them off a sentence's relevance."""
        names = named_subject(question)
        return self.embeddings.embed_query(names) if names else None

    # -- extractive: no model ----------------------------------------------------------------------
    def _answer_extractive(self, answer: Answer, evidence: Evidence, parts: list[Part],
                           sources: list[Source], question: str, told: np.ndarray) -> Iterator[Event]:
        """``told``: the units the turn before said (``told_before``), not an answer to a follow-up."""
        t0 = time.perf_counter()
        raw = self._extractive(evidence, [Part(p.text, _without(p.scores, told)) for p in parts], sources)
        answer.timings["generate"] = time.perf_counter() - t0
        answer.raw_answer = raw
        t0 = time.perf_counter()
        answer.sentences, answer.citations = check(raw, evidence, sources, self.embeddings, self.support, question)
        answer.timings["check"] = time.perf_counter() - t0
        if not any(s.supported for s in answer.sentences):
            yield self._refuse(answer, "unsupported")
            return
        yield from self._emit(answer, sources)

    def _extractive(self, evidence: Evidence, parts: list[Part], sources: list[Source]) -> str:
        """The best one or two supporting sentences (one per part of the question), verbatim and
        cited: no LLM needed. A question for a reason (``asks_why``), which news gives in the
        sentence after the claim, gets the best sentence and the one after it, unless the best gives
        a reason itself (``gives_reason``); so does a question whose detail (a name, date, amount)
        only the sentence after the best holds (``next_holds``)."""
        if not evidence.units:
            return ""
        if len(parts) == 1:
            sims = parts[0].scores
            order = [int(i) for i in np.argsort(-sims)]
            if not np.isfinite(sims[order[0]]):
                return ""
            after = _reason_after(evidence, order[0], parts[0].text, sources)
            if after is None and (found := _holds_next(evidence, order[0], parts[0].text, sources)) is not None:
                after = found[0]
            picked = [order[0]] + ([after] if after is not None else
                                   [i for i in order[1:2] if sims[i] >= sims[order[0]] - 0.015])
        else:
            picked = []
            if _compares(parts) and np.isfinite(parts[0].scores).any():  # what came of the plan
                parts = [parts[0], _of_story(parts[1], evidence, int(np.argmax(parts[0].scores)), sources)]
            for part in parts:
                best = next((int(i) for i in np.argsort(-part.scores) if int(i) not in picked), None)
                if best is not None and np.isfinite(part.scores[best]):
                    picked.append(best)
        return " ".join(f"{evidence.units[i].text} [{evidence.units[i].source}]" for i in picked)

    # -- with a model: choose (decide), phrase, check, fall back to the quote -----------------------
    def _answer_with_model(self, answer: Answer, evidence: Evidence, parts: list[Part],
                           sources: list[Source], question: str, context: str, told: np.ndarray) -> Iterator[Event]:
        """``context``: the previous question, when this one leans on it; ``told``: the units the turn
        before said (``told_before``), not judged for a follow-up."""
        assert self.llm is not None and self._generate is not None  # only modes with a model come here
        lang = answer.language
        each = self.judge_sentences if len(parts) == 1 else max(3, -(-self.judge_sentences // len(parts)))
        t0 = time.perf_counter()
        judged: list[tuple[Part, str, list[int], Judgement]] = []
        lacking: list[int] = []
        follows: set[int] = set()  # judged because of the sentence before them (``carried``)
        second_look = 0  # sentences judged on a second look (``SECOND_LOOK``)
        by_n = {s.n: s for s in sources}
        # one question's threshold depends on what it asks for; a question in parts has the plain one
        threshold = threshold_for(parts[0].text, self.answer_threshold) if len(parts) == 1 else self.answer_threshold
        for at, part in enumerate(parts):
            if at == 1 and _compares(parts) and judged[0][2]:  # what came of the plan the judge chose
                part = _of_story(part, evidence, judged[0][2][judged[0][3].ranked()[0]], sources)
            # "where did he finish?" is judged with the part before it; a part that names its subject alone
            leaning = leans([p.text for p in parts], at) and not _compares(parts)  # not "(Q) Q"
            lead = "; ".join(x for x in (context, parts[0].text if leaning else "") if x)
            asked = f"({lead}) {part.text}" if lead else part.text
            # which sentences are judged: a sentence that goes on from the one before ranks with it
            ranking = _without(carried(evidence, part.scores, sources), told)
            candidates, missing = _judgeable(evidence, part.text, ranking, each)
            lacking += [i for i in missing if i not in lacking]
            plain = judge(self.llm, asked, self._pairs(evidence, candidates), probe=len(parts) == 1)
            judgement = self._checked(plain, part.text, evidence, candidates, by_n)
            # Across languages the embedder ranks a question's answer low (its similarities are flat):
            # a question about to be refused looks further down the ranking once (``SECOND_LOOK``)
            if (len(parts) == 1 and SECOND_LOOK and judgement.p_answer < threshold
                    and lang != _language_of(sources, {evidence.units[i].source for i in candidates})):
                wider, further = _judgeable(evidence, part.text, ranking, each + SECOND_LOOK)
                more = [i for i in wider if i not in candidates]
                extra = judge(self.llm, asked, self._pairs(evidence, more)) if more else None
                if extra is not None and extra.by == plain.by:  # never a mix of the two scales
                    candidates, plain = candidates + more, Judgement(plain.p_yes + extra.p_yes, by=plain.by)
                    judgement = self._checked(plain, part.text, evidence, candidates, by_n)
                    lacking += [i for i in further if i not in lacking]
                    second_look = len(more)
            follows |= {i for i in candidates if ranking[i] > part.scores[i]}
            judged.append((part, asked, candidates, judgement))
        answer.timings["decide"] = time.perf_counter() - t0
        p_answer = answerability([j for _, _, _, j in judged])
        answer.decision = {
            "p_answer": round(p_answer, 4), "threshold": threshold,
            "judge": "probe" if all(j.by == "probe" for *_, j in judged) else "p_yes",  # what each P is
            "candidates": [{"source": evidence.units[i].source, "text": evidence.units[i].text, "p_yes": round(p, 4),
                            "relevance": round(float(part.scores[i]), 4), "correction": rank in j.corrections,
                            **({"holder": True} if rank in j.holders else {}),
                            **({"off_point": True} if rank in j.off_point else {}),
                            **({"follows": True} if i in follows else {})}
                           for part, _, candidates, j in judged for rank, (i, p) in enumerate(zip(candidates, j.p_yes))]}
        if second_look:
            answer.decision["second_look"] = second_look
        if lacking:
            answer.decision["lacking"] = {"asks_for": sorted({k for p in parts if (k := asks_for(p.text))}),
                                          "sentences": [evidence.units[i].text for i in lacking]}
        if len(parts) == 1:
            answer.decision["asked"] = judged[0][1]  # the question as the judge saw it
        else:
            answer.decision["parts"] = [{"part": part.text, "asked": asked, "p_best": round(j.best, 4)}
                                        for part, asked, _, j in judged]
        if len(parts) == 1 and not context and p_answer >= threshold:
            p_answer = self._premise_checked(answer, evidence, judged[0][2], judged[0][3], parts[0].text, p_answer)
        whole: dict[int, float] = {}  # evidence unit -> the probe's P for the whole question in parts
        if len(parts) > 1 and any(j.best < threshold for *_, j in judged):
            whole = self._judge_whole(evidence, judged, f"({context}) {question}" if context else question)
            if whole:
                p_whole = Judgement(list(whole.values())).p_answer
                answer.decision["whole"] = {"p_answer": round(p_whole, 4), "judge": "probe"}
                p_answer = max(p_answer, p_whole)
                answer.decision["p_answer"] = round(p_answer, 4)
        if p_answer < threshold:
            left = any(c for _, _, c, _ in judged)
            yield (self._refuse(answer, "not_answered", p=float(p_answer), threshold=threshold) if left or not lacking
                   else self._refuse(answer, "lacking", kinds=answer.decision["lacking"]["asks_for"]))
            return
        # A question that names two dates ("in 2021, and in 2023") wants an article of each: the
        # best sentence of a second article joins however it was judged.
        two_dates = " … " in (answer.filters.get("phrase") or "")
        denied = -1  # the chosen sentence that denies what a yes/no question asks: its quote says "Nee."
        joined_next = -1  # the sentence after the chosen one, phrased and quoted with it: a why question's
        # reason, or the sentence that holds what is asked (``next_holds``)
        details: list[str] = []  # what that sentence holds that the question asks: a wording must hold it too
        p_quote = 0.0  # how strongly a quote of the chosen sentence is backed (one part only)
        if len(parts) == 1:
            _, asked, candidates, j = judged[0]
            order = j.ranked()
            # "Kwamen er daadwerkelijk 35.000 boeren?" is not answered by the sentence that they were
            # expected (rag.modality): passed over, and refused if no other sentence is judged likely
            ahead = [i for i in order if i not in j.corrections
                     and only_ahead(parts[0].text, evidence.units[candidates[i]].text)] if yes_no(parts[0].text) else []
            for i in ahead:  # the why-view marks them
                answer.decision["candidates"][i]["ahead"] = True
            if ahead:  # another sentence answers instead only when judged nearly as likely (AHEAD_MARGIN)
                top, order = order[0], [i for i in order if i not in ahead]
                if top in ahead and (not order or j.p_yes[order[0]] < max(threshold, j.p_yes[top] - AHEAD_MARGIN)):
                    yield self._refuse(answer, "only_ahead", sentence=evidence.units[candidates[ahead[0]]].text)
                    return
            first = evidence.units[candidates[order[0]]] if order else None
            if first is not None and answers_no(parts[0].text, first.text, by_n[first.source].text):
                denied = candidates[order[0]]
            chosen = pick_evidence([candidates[i] for i in order], [j.p_yes[i] for i in order], evidence,
                                   0.0 if two_dates else SECOND_SOURCE_P, {s.n: s.doc_id for s in sources})
            # the reason is phrased from too (another article's sentence, the only other one chosen,
            # is never this one)
            if chosen and (after := _reason_after(evidence, chosen[0], parts[0].text, sources)) is not None:
                chosen.insert(1, after)
                joined_next = after
                answer.decision["why_next"] = evidence.units[after].text
            elif chosen and (found := _holds_next(evidence, chosen[0], parts[0].text, sources)) is not None:
                joined_next, details = found
                chosen.insert(1, joined_next)
                answer.decision["next_holds"] = {"sentence": evidence.units[joined_next].text, "holds": details}
            # the chosen sentence's P; quoted with the next one that holds what is asked, the stronger of the two
            p_quote = max((j.p_yes[candidates.index(i)] for i in chosen[:1] + ([joined_next] if details else [])
                           if i in candidates), default=0.0)
        else:  # each part that passes gives its best sentence; the whole question is phrased at once
            asked = f"({context}) {question}" if context else question
            chosen = []
            rescued: dict[int, int] = {}  # part -> the sentence the probe chose for it
            for at, (_, _, candidates, j) in enumerate(judged):  # one sentence may answer two parts ("grenst
                if not candidates:  # aan Rusland en waar veel Russen wonen")
                    continue
                best = candidates[j.ranked()[0]]
                if j.best < self.answer_threshold:  # judged too low: the probe's choice for the whole question
                    best = candidates[Judgement([whole.get(i, 0.0) for i in candidates]).ranked()[0]]
                    if whole.get(best, 0.0) < self.answer_threshold:
                        continue
                    rescued[at] = best
                chosen += [best] if best not in chosen else []
        answers_part = [rescued.get(at, _covers(candidates, j, chosen)) for at, (_, _, candidates, j) in enumerate(judged)] \
            if len(parts) > 1 else []
        numbered = [(evidence.units[i].source, evidence.units[i].text) for i in chosen]
        t0 = time.perf_counter()
        # A sentence that answers two parts is quoted: worded, it kept one of them ("De verboden gaan zes
        # maanden na de inwerkingtreding in" for "wanneer de regels voor taalmodellen, en wanneer de rest?")
        shared = any(answers_part.count(i) > 1 for i in chosen)
        raw = "" if shared else self._generate.invoke(
            phrase_messages(asked, lang, numbered, _language_of(sources, {n for n, _ in numbered}))).strip()
        answer.timings["generate"] = time.perf_counter() - t0
        answer.raw_answer = raw
        model_refused = bool(_MODEL_REFUSAL.search(raw))
        if model_refused and len(parts) == 1 and not _quotable(p_quote, denied >= 0):
            yield self._refuse(answer, "model_refused", p=float(p_quote), strong=QUOTE_P)
            return
        t0 = time.perf_counter()
        sentences_, citations = ([], []) if not raw or model_refused else check(
            raw, evidence, sources, self.embeddings, self.support, question, strict=True, allowed=set(chosen))
        answer.timings["check"] = time.perf_counter() - t0
        answer.dropped = [s for s in sentences_ if not s.supported]
        answer.sentences = [s for s in sentences_ if s.supported]
        answer.citations = citations
        if len(parts) == 1 and chosen and not keeps(parts[0].text, [s.text for s in answer.sentences],
                                                    evidence.units[chosen[0]].text):
            # true, but without the name, number or date asked for: the chosen sentence is quoted instead
            answer.dropped += [s.model_copy(update={"supported": False, "note": LEFT_OUT}) for s in answer.sentences]
            answer.sentences, answer.citations = [], []
        # The model's wording failed the check, or left out the best sentence (or, for a question in
        # parts or about two dates, a part): quote the evidence it left out instead.
        own = evidence.units[chosen[0]].source if chosen else -1  # the chosen sentence's source
        own_said = [s for s in answer.sentences if own in s.citations]
        said_whole = bool(details) and _worded_whole(own_said, details, parts[0].text)
        if details and not said_whole:
            # the two sentences answer together: a wording of their article without what is asked, or
            # that points back to what it left out ("Haar opvolger …"), is replaced by the quote of both
            # (a wording of another article's sentence stays)
            answer.dropped += [s.model_copy(update={"supported": False, "note": HALF_WORDED}) for s in own_said]
            answer.sentences = [s for s in answer.sentences if own not in s.citations]
            answer.citations = [c for c in answer.citations if c.n != own]
        covered = {(c.n, c.start) for c in answer.citations}
        missing = [i for i in chosen if (evidence.units[i].source, evidence.units[i].start) not in covered]
        to_quote = [i for i in missing if not (said_whole and i in (chosen[0], joined_next))] if len(parts) > 1 or two_dates \
            else [i for i in missing if i == chosen[0] and not said_whole]
        if len(parts) == 1 and not answer.sentences and chosen[0] in to_quote and chosen[0] != denied \
                and p_quote < WORDED_P:
            yield self._refuse(answer, "weak_quote", p=float(p_quote), weak=WORDED_P)
            return
        with_next = joined_next in missing and chosen[0] in to_quote  # quoted with the sentence after it
        for i in to_quote:
            if with_next and i == joined_next:
                continue
            source = by_n[evidence.units[i].source]
            if with_next and i == chosen[0]:  # with the sentence before it too, when it goes on from that one
                # (for a why question's reason not yet: unmeasured)
                before = evidence.preceding(i, source) if details and i in follows else None
                unit = evidence.joined(i if before is None else before, joined_next, source)
            elif i in follows and (before := evidence.preceding(i, source)) is not None:
                unit = evidence.joined(before, i, source)  # what „het daar” points to is quoted too
            else:
                unit = evidence.units[i]
            sentence, citation = _quoted(unit, sources, lang, no=i == denied)
            answer.sentences.append(sentence)
            answer.citations.append(citation)
        if len(parts) > 1 and not _compares(parts):  # a part no sentence answers is said to be unanswered, not silently left out;
            # but not beside its own best sentence, shown for another part ("grenst aan Rusland en waar
            # veel mensen van Russische afkomst wonen" for "welk land …, en wat valt op aan de bevolking?")
            answer.sentences += [AnswerSentence(text=PART_REFUSALS[lang].format(part=part.text.strip()), note=NOT_ANSWERED)
                                 for (part, _, _, j), c in zip(judged, answers_part)
                                 if j.best < self.answer_threshold and c is None]
        yield from self._emit(answer, sources)

    def _premise_checked(self, answer: Answer, evidence: Evidence, candidates: list[int], judgement: Judgement,
                         question: str, p_answer: float) -> float:
        """``p_answer``, or the score of the best ``PREMISE_RECHECK`` candidates judged again without
        the question's premise clause when that is lower: a sentence that states the premise is no
        answer to what is asked after it. A yes/no question asks about its clause, and a sentence
        code decided on (a correction, a role's holder) is not put to the model again."""
        assert self.llm is not None  # only modes with a model judge
        cut = premise_cut(question) if PREMISE_RECHECK else None
        if cut is None or yes_no(question):
            return p_answer
        top = sorted(range(len(candidates)), key=lambda r: -judgement.p_yes[r])[:PREMISE_RECHECK]
        if any(r in judgement.corrections or r in judgement.holders for r in top):
            return p_answer
        t0 = time.perf_counter()
        again = judge(self.llm, cut, self._pairs(evidence, [candidates[r] for r in top]))
        answer.timings["decide"] = answer.timings.get("decide", 0.0) + time.perf_counter() - t0
        if again.by != judgement.by:  # never a mix of the two scales
            return p_answer
        answer.decision["premise"] = {"asked": cut, "p_answer": round(again.p_answer, 4)}
        if again.p_answer < p_answer:
            answer.decision["p_answer"] = round(again.p_answer, 4)
        return min(p_answer, again.p_answer)

    @staticmethod
    def _pairs(evidence: Evidence, units: list[int]) -> list[tuple[int, str]]:
        """(source n, sentence) of each evidence unit, as the judge takes them."""
        return [(evidence.units[i].source, evidence.units[i].text) for i in units]

    @staticmethod
    def _checked(raw: Judgement, question: str, evidence: Evidence, candidates: list[int],
                 by_n: dict[int, Source]) -> Judgement:
        """The model's judgement of ``candidates`` with what code decides: corrections (a correction
        denies what this part asks: the conversation's negations are not this question's), role
        holders, and the candidates off the question's point."""
        texts = [evidence.units[i].text for i in candidates]
        around = [by_n[evidence.units[i].source].text for i in candidates]
        judgement = with_corrections(raw, question, texts, around)
        return on_point(with_holders(judgement, question, texts), question, texts)

    def _judge_whole(self, evidence: Evidence, judged: list, asked: str) -> dict[int, float]:
        """A question in parts judged whole, on every part's candidates, by the judge probe, which was
        trained on whole questions: evidence unit -> P. The parts' P(Yes) says too little for one
        part often enough ("Whom did the Dutch women beat in the team pursuit, and by what margin?":
        0.35 and 0.18, with one sentence holding both). Empty without a probe (a server's model):
        P(Yes) of the whole question is what splitting it improved on."""
        assert self.llm is not None  # only modes with a model judge
        pool = list(dict.fromkeys(i for _, _, candidates, _ in judged for i in candidates))
        if not pool:
            return {}
        j = judge(self.llm, asked, [(evidence.units[i].source, evidence.units[i].text) for i in pool])
        return dict(zip(pool, j.p_yes)) if j.by == "probe" else {}

    # -- a timeline: one dated, checked line per article, oldest first (rag.timeline) ---------------
    @staticmethod
    def _timeline_groups(evidence: Evidence, relevance: np.ndarray, sources: list[Source],
                         question: str, lines: np.ndarray) -> list[list[int]]:
        """The candidate sentences of each article about the subject (its best sentence close to the
        best of all, by ``relevance`` to the whole question), most relevant first: the article's best
        by ``lines``, the relevance to what the question is about (``rag.timeline.subject``), with a
        sentence that goes on from the one before ranked with it (``carried`` already)."""
        doc_of = {s.n: s.doc_id for s in sources}
        groups = _naming(per_article(evidence, relevance, doc_of), question, evidence, sources)
        top = max((relevance[g[0]] for g in groups), default=0.0)
        articles = [doc_of[evidence.units[g[0]].source] for g in groups if relevance[g[0]] >= top - TIMELINE_MARGIN]
        ranked = per_article(evidence, lines, doc_of, most=len(sources))
        best = {doc_of[evidence.units[g[0]].source]: g for g in ranked}
        return [best[doc] for doc in articles if doc in best]

    def _answer_timeline(self, answer: Answer, evidence: Evidence, groups: list[list[int]],
                         sources: list[Source], question: str, lines: np.ndarray) -> Iterator[Event]:
        """One line for each article the judge lets join (its best P(Yes) at least ``TIMELINE_JOIN_P``,
        once the best of all passes the threshold; without a model, every article of ``groups``):
        the article's sentence most about the subject (``lines``) plus ``LINE_PROBE_WEIGHT`` × the
        judge probe's P where the model gives one, phrased or quoted, checked, and dated.
        ``groups``: ``_timeline_groups``; ``lines``: what each sentence is ranked by there (carried)."""
        by_n = {s.n: s for s in sources}
        t0 = time.perf_counter()
        if self.llm is None:
            chosen = [g[0] for g in groups]
        else:
            flat = [i for g in groups for i in g]
            judged = judge(self.llm, question, [(evidence.units[i].source, evidence.units[i].text) for i in flat],
                           probe=False)
            p = dict(zip(flat, judged.p_yes))
            # The judge decides which articles tell the development (the best judged sentence of each);
            # each article's line is its sentence most about the subject (``lines``), which chose
            # better than P(Yes) among sentences of one article (docs/eval.md, stop 39), plus a part of
            # the judge probe's P where the model gives one, which chose better still (stop 51).
            probed = dict(zip(flat, judged.probed))
            line_of = {g[0]: max(g, key=lambda i: lines[i] + LINE_PROBE_WEIGHT * probed.get(i, 0.0)) for g in groups}
            best = {g[0]: max(p[i] for i in g) for g in groups}
            passes = max(best.values(), default=0.0) >= self.answer_threshold
            chosen = [line_of[i] for i, p_best in best.items() if passes and p_best >= TIMELINE_JOIN_P]
            answer.decision = {"p_answer": round(max(p.values(), default=0.0), 4), "threshold": self.answer_threshold,
                               "judge": "p_yes", "candidates": [{"source": evidence.units[i].source, "text": evidence.units[i].text,
                                               "p_yes": round(p[i], 4), **({"line": True} if i in chosen else {}),
                                               **({"probe": round(probed[i], 4)} if i in probed else {})}
                                              for i in flat]}
            answer.timings["decide"] = time.perf_counter() - t0
        if not chosen:
            yield self._refuse(answer, "no_article_answers")
            return
        dated = [(by_n[evidence.units[i].source].date or None, evidence.units[i].source) for i in chosen]
        chosen = [chosen[j] for j in in_date_order(dated)]
        answer.sentences, answer.citations, raws = [], [], []
        for i in chosen:
            unit = evidence.units[i]
            line, citations, raw = self._timeline_line(evidence, sources, question, answer.language, i)
            raws.append(raw)
            if line is None:
                continue
            line.text = f"{date_label(by_n[unit.source].date, answer.language)}: {line.text}"
            answer.sentences.append(line)
            answer.citations += citations
        answer.raw_answer = "\n".join(raws)
        answer.timings["generate"] = time.perf_counter() - t0 - answer.timings.get("decide", 0.0)
        if not answer.sentences:
            yield self._refuse(answer, "timeline_unsupported")
            return
        answer.decision["timeline"] = [{"date": by_n[s.citations[0]].date, "n": s.citations[0]}
                                       for s in answer.sentences]
        yield from self._emit(answer, sources, sep="\n", timeline=True)

    def _timeline_line(self, evidence: Evidence, sources: list[Source], question: str, lang: str,
                       i: int) -> tuple[AnswerSentence | None, list, str]:
        """One line from evidence unit ``i``: (the checked sentence, its citations, what was written).
        Extractive: the sentence itself. With a model: its wording of the sentence, one checked
        sentence; when that fails the check, the sentence quoted."""
        unit = evidence.units[i]
        if self.llm is None:
            raw = f"{unit.text} [{unit.source}]"
            checked, citations = check(raw, evidence, sources, self.embeddings, self.support, question)
        else:
            assert self._generate is not None  # built with the model
            raw = self._generate.invoke(phrase_messages(question, lang, [(unit.source, unit.text)],
                                                        _language_of(sources, {unit.source}))).strip()
            checked, citations = ([], []) if not raw or _MODEL_REFUSAL.search(raw) else check(
                raw, evidence, sources, self.embeddings, self.support, question, strict=True, allowed={i})
        ok = [s for s in checked if s.supported and unit.source in s.citations]
        if ok:
            citation = next(c for c in citations if c.n == unit.source)
            return AnswerSentence(text=ok[0].text, citations=[unit.source], note=ok[0].note), [citation], raw
        if self.llm is None:
            return None, [], raw
        quoted, citation = _quoted(unit, sources, lang)
        return quoted, [citation], raw

    def _emit(self, answer: Answer, sources: list[Source], sep: str = " ", *, timeline: bool = False) -> Iterator[Event]:
        """Only checked text reaches the user: the checked sentences as tokens, then the answer.
        ``sep``: between sentences ("\n" for a timeline's lines, dated already). A sentence the model
        worded in another language than its quote is noted as such (``ACROSS_LANGUAGES``); an answer
        to a question about time from articles of different dates says each sentence's date
        (``rag.timeline.dated``), a line each."""
        if not timeline and answer.filters.get("phrase"):  # the question names a date (not only the UI's filter)
            labelled = dated(answer.sentences, {s.n: s.date or None for s in sources}, answer.language)
            if [s.text for s in labelled] != [s.text for s in answer.sentences]:
                answer.sentences, sep = labelled, "\n"  # a line each, as a timeline's
                answer.decision["dated"] = True  # the UI shows the lines as a list
        if self.llm is not None:
            note_across_languages(answer.sentences, answer.citations, answer.language)
        cited = {c.n for c in answer.citations}
        answer.sources = [s.model_copy(update={"cited": s.n in cited}) for s in sources]
        answer.answer = sep.join(render([s]) for s in answer.sentences)
        for i, sentence in enumerate(render([s]) for s in answer.sentences):
            yield Event(kind="token", token=(sep if i else "") + sentence)
        yield Event(kind="answer", answer=answer)

    def _refuse(self, answer: Answer, code: str, **values: Any) -> Event:
        """The refusal, and why: ``code`` is a key of ``REFUSAL_REASONS``, ``values`` what it names."""
        answer.abstained = True
        answer.answer = REFUSALS[answer.language]
        answer.sentences, answer.citations = [], []
        answer.abstain_code, answer.abstain_values = code, values
        answer.abstain_reason = refusal_reason(code, values)
        return Event(kind="answer", answer=answer)


def _judgeable(evidence: Evidence, question: str, ranking: np.ndarray, n: int) -> tuple[list[int], list[int]]:
    """The ``n`` best units by ``ranking`` that are judged for ``question``, and those left out.
    A sentence without a name, number, time, … that the question asks for is not judged at all; for a
    day, time or duration the next most relevant sentences that hold one take its place."""
    candidates = [i for i in top_units(evidence, ranking, n) if np.isfinite(ranking[i])]
    kind = asks_for(question)
    missing = [i for i in candidates if lacks_answer(question, evidence.units[i].text)]
    if len(missing) == len(candidates) and kind in SOFT_KINDS:
        missing = []
    if missing and kind in BACKFILL_KINDS:
        able = np.array([not lacks_answer(question, u.text) for u in evidence.units], dtype=bool)
        return sorted([i for i in top_units(evidence, np.where(able, ranking, -np.inf), len(candidates))
                       if np.isfinite(ranking[i]) and able[i]], key=lambda i: -ranking[i]), missing
    return [i for i in candidates if i not in missing], missing


# An answer sentence that opens by pointing back ("Dat kost …", "Haar opvolger …", "He was …") says
# whom or what only with the sentence before it.
# (not "Die verkeersregelaars …", "This year …", "There are …": a demonstrative may go with a noun)
_POINTS_BACK = re.compile(r"^\W*(dat|dit|daar\w*|hij|zij|ze|hem|haar|zijn|hun|it|he|she|his|her|they|their)\b",
                          re.IGNORECASE)


def _worded_whole(said: list[AnswerSentence], details: list[str], question: str) -> bool:
    """Does the model's checked wording ``said`` answer by itself what the chosen sentence and the one
    after it answer together: it holds ``details`` (``next_holds``), and it does not open by pointing
    back to what it left out?"""
    return bool(said) and holds_all(details, " ".join(s.text for s in said), question) \
        and not _POINTS_BACK.match(said[0].text)  # a later sentence may point back to the first


def _following(evidence: Evidence, i: int, sources: list[Source]) -> int | None:
    """The unit that is the next sentence of unit ``i`` in its paragraph (``Evidence.following``)."""
    return evidence.following(i, next(s for s in sources if s.n == evidence.units[i].source))


def _reason_after(evidence: Evidence, i: int, question: str, sources: list[Source]) -> int | None:
    """The sentence after unit ``i`` when ``question`` asks why (``asks_why``) and unit ``i`` gives no
    reason itself (``gives_reason``): news gives the reason for a claim in the next sentence."""
    if not asks_why(question) or gives_reason(evidence.units[i].text):
        return None
    return _following(evidence, i, sources)


def _holds_next(evidence: Evidence, i: int, question: str, sources: list[Source]) -> tuple[int, list[str]] | None:
    """The sentence after unit ``i`` in its paragraph, and what it holds, when it holds what
    ``question`` asks for and unit ``i`` lacks (``next_holds``): news sets a scene and gives the fact
    in the next sentence („… verkeersregelaars bij de rotonde. Dat kost de gemeente 2.400 euro per
    week.”)."""
    after = _following(evidence, i, sources)
    if after is None or yes_no(question):  # a yes/no question's answer is its yes or no
        return None
    details = next_holds(question, evidence.units[i].text, evidence.units[after].text)
    return (after, details) if details else None


def _without(scores: np.ndarray, ruled_out: np.ndarray) -> np.ndarray:
    """``scores`` with the ``ruled_out`` units at -inf, unless that would leave no unit to choose."""
    kept = np.where(ruled_out, -np.inf, scores)
    return kept if np.isfinite(kept).any() else scores


def _add_timings(timings: dict[str, float], more: dict[str, float]) -> None:
    """Add another retrieval's seconds per stage to ``timings``."""
    for key, seconds in more.items():
        timings[key] = timings.get(key, 0.0) + seconds


def _naming(groups: list[list[int]], question: str, evidence: Evidence, sources: list[Source]) -> list[list[int]]:
    """The timeline's article groups whose retrieved passages name something the question names,
    when any does: each year of a span is searched, and a year with no article on the subject still
    yields its best passage ("De provincies krijgen tot 1 juli 2023 de tijd …" in a timeline of
    flood damage in Limburg)."""
    naming = _sources_naming(question_names(question), sources)
    kept = [g for g in groups if evidence.units[g[0]].source in naming]
    return kept or groups


def _quotable(p: float, denies: bool) -> bool:
    """May the chosen sentence, judged ``p`` (``p_quote``), be quoted as the answer when the phrasing
    model found none in it? When it was judged at least ``QUOTE_P`` (a correction always is:
    ``rag.decide.CORRECTION_P``), or it ``denies`` what a yes/no question asks: the model often calls
    a denial no answer."""
    return p >= QUOTE_P or denies


def _covers(candidates: list[int], judgement: Judgement, chosen: list[int]) -> int | None:
    """The chosen sentence that answers this part of a question: the part's best-ranked candidate,
    when it is in the answer and judged at least ``SHARED_P`` for this part; else None."""
    if not candidates:
        return None
    k = judgement.ranked()[0]
    return candidates[k] if candidates[k] in chosen and judgement.p_yes[k] >= SHARED_P else None


def _compares(parts: list[Part]) -> bool:
    """Is the question a comparison with the plan (``rag.parts.compares``)?"""
    return compares([p.text for p in parts])


def _of_story(part: Part, evidence: Evidence, plan: int, sources: list[Source]) -> Part:
    """``part``, what came of the plan in a comparison with it ("How much later than promised …?"),
    kept to the articles whose retrieved passages name one of the names in the passage of ``plan``
    (the unit chosen for the plan): not another story's "five months later than planned" (found on a
    training question: a pool's reopening for a bridge's). Any shared name links two articles, so a
    common one ("Nederland") lets another story through."""
    told = _sources_naming(_story_names(evidence, plan, sources), sources)
    same = np.array([u.source in told for u in evidence.units], dtype=bool)
    return Part(part.text, np.where(same, part.scores, -np.inf)) if (same & np.isfinite(part.scores)).any() else part


def _story_names(evidence: Evidence, unit: int, sources: list[Source]) -> set[str]:
    """The names in the retrieved passage of evidence ``unit``, each sentence's first word left out
    ("Volgens", "Wethouder"): what its story is about."""
    passage = next(s.text for s in sources if s.n == evidence.units[unit].source)
    return set().union(*(question_names(passage[a:b]) for a, b in sentences(passage)))


def _sources_naming(names: set[str], sources: list[Source]) -> set[int]:
    """The source numbers of the articles whose retrieved passages, taken together, name one of
    ``names``; every source when there are no names or no article names one."""
    text: dict[str, str] = {}
    for s in sources:
        text[s.doc_id] = text.get(s.doc_id, "") + " " + s.text

    def words(t: str) -> set[str]:  # "Zuid-Limburg" names Limburg too
        found = name_words(t)
        return found | {part for w in found if "-" in w for part in w.split("-") if len(part) > 2}

    naming = {doc for doc, t in text.items() if names and mentions(words(t), names)}
    return {s.n for s in sources if s.doc_id in naming or not naming}


def _quoted(unit: Unit, sources: list[Source], lang: str, *, no: bool = False) -> tuple[AnswerSentence, Citation]:
    """Evidence ``unit`` as the answer itself, quoted in a sentence of the question's language, and
    its citation: what is shown when the model's wording fails the check. ``no``: it denies what a
    yes/no question asks ("Nee. Volgens het artikel: „…”")."""
    sentence = AnswerSentence(text=quote_sentence(lang, unit.text, _language_of(sources, {unit.source}), no=no) + ".",
                              citations=[unit.source], note=QUOTED)
    return sentence, citation_for(next(s for s in sources if s.n == unit.source), unit, 1.0)


def _language_of(sources: list[Source], numbers: set[int]) -> str:
    """The language of the articles of the passages numbered ``numbers``: as ingest detected it from
    the whole article (else from the passage); Dutch when any of them is."""
    found = [s.language or detect_language(s.text) for s in sources if s.n in numbers]
    return "nl" if "nl" in found or not found else found[0]
