"""Metric functions: small, pure, deterministic; each defined exactly in its docstring.

Data shapes:
    Span = (doc_id, start, end)  # a character range [start, end) in one article's text

A function returns ``None`` when the metric is undefined for the case (no gold evidence, no
citations, ...): averages skip ``None``, so "undefined" never counts as 0 or as 1. The LLM-judged
metrics live in ``eval.judge``; the aggregation over a question set in ``eval.runner``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from rag.answer import NOT_ANSWERED, QUOTED, REFUSALS
from rag.citations import strip_markers
from rag.language import detect_language

Span = tuple[str, int, int]

_ARTICLES = {"a", "an", "the", "de", "het", "een"}  # English and Dutch articles, dropped for token F1


# -- spans ------------------------------------------------------------------------------------------
def quote_span(doc: str, quote: str, articles: Mapping[str, str]) -> Span | None:
    """Where a gold quote sits: ``(doc, i, i + len(quote))`` with ``i = articles[doc].find(quote)``
    (the first occurrence); None when the article or the quote is not there."""
    text = articles.get(doc)
    i = text.find(quote) if text is not None and quote else -1
    return None if i < 0 else (doc, i, i + len(quote))


def overlaps(a: Span, b: Span) -> bool:
    """Same article and the half-open ranges share at least one character:
    ``max(a.start, b.start) < min(a.end, b.end)``. Touching spans (a.end == b.start) and empty
    spans overlap nothing."""
    return a[0] == b[0] and max(a[1], b[1]) < min(a[2], b[2])


def _covered(chunk: Span, gold: Sequence[Span]) -> set[int]:
    return {g for g, span in enumerate(gold) if overlaps(chunk, span)}


# -- retrieval --------------------------------------------------------------------------------------
def hit_at_k(retrieved: Sequence[Span], gold: Sequence[Span], k: int) -> float | None:
    """1.0 when at least one of the first ``k`` retrieved chunks overlaps a gold span, else 0.0.
    None without gold spans (unanswerable questions)."""
    if not gold:
        return None
    return float(any(_covered(c, gold) for c in retrieved[:k]))


def recall_at_k(retrieved: Sequence[Span], gold: Sequence[Span], k: int) -> float | None:
    """The share of gold spans overlapped by at least one of the first ``k`` retrieved chunks.
    None without gold spans."""
    if not gold:
        return None
    found = set().union(*(_covered(c, gold) for c in retrieved[:k]))
    return len(found) / len(gold)


def reciprocal_rank(retrieved: Sequence[Span], gold: Sequence[Span]) -> float | None:
    """1 / rank (1-based) of the first retrieved chunk that overlaps any gold span; 0.0 when none
    does. MRR is its mean over questions. None without gold spans."""
    if not gold:
        return None
    return next((1.0 / rank for rank, c in enumerate(retrieved, 1) if _covered(c, gold)), 0.0)


def ndcg_at_k(retrieved: Sequence[Span], gold: Sequence[Span], k: int) -> float | None:
    """Normalised discounted cumulative gain over the first ``k`` chunks, chunking-independent.

    The gain of the chunk at rank ``i`` is the number of gold spans it overlaps that no
    higher-ranked chunk overlapped (a redundant chunk gains nothing).
    ``DCG = sum(gain_i / log2(i + 1))``. The ideal ranking finds one new gold span per rank:
    ``IDCG = sum(1 / log2(i + 1) for i in 1..min(k, len(gold)))``. The result is
    ``min(1, DCG / IDCG)`` (a chunk covering two gold quotes at once can beat the ideal).
    None without gold spans.
    """
    if not gold:
        return None
    seen: set[int] = set()
    dcg = 0.0
    for rank, chunk in enumerate(retrieved[:k], 1):
        new = _covered(chunk, gold) - seen
        seen |= new
        dcg += len(new) / math.log2(rank + 1)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(gold)) + 1))
    return min(1.0, dcg / ideal) if ideal else 0.0


# -- answers ----------------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Case- and accent-insensitive form: NFKD, combining marks dropped, casefolded
    (``"Oekraïne"`` -> ``"oekraine"``). Whitespace is kept as it is."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def keyword_match(answer: str, groups: Sequence[Sequence[str]]) -> bool | None:
    """True when, for every group, at least one alternative occurs in the answer as a substring,
    compared after ``fold`` (runs of whitespace in the answer count as one space; the keyword is
    used as written, so ``"no "`` needs the trailing space). None when there are no groups."""
    if not groups:
        return None
    text = " ".join(fold(strip_markers(answer)).split())
    return all(any(fold(alt) in text for alt in group) for group in groups)


def answer_tokens(text: str) -> list[str]:
    """SQuAD-style normalisation: markers removed, ``fold``ed, every punctuation or symbol character
    turned into a space, English and Dutch articles (a, an, the, de, het, een) dropped, split on
    whitespace."""
    chars = (" " if unicodedata.category(ch)[0] in "PS" else ch for ch in fold(strip_markers(text)))
    return [t for t in "".join(chars).split() if t not in _ARTICLES]


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD token F1 of ``answer_tokens``: with ``common`` the size of the multiset intersection,
    ``P = common / len(pred)``, ``R = common / len(ref)``, ``F1 = 2PR / (P + R)``; 0.0 when nothing
    is shared, 1.0 when both are empty."""
    pred, ref = answer_tokens(prediction), answer_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    p, r = common / len(pred), common / len(ref)
    return 2 * p * r / (p + r)


# A quote, over lines too, may quote someone itself („… „nooit bewust …” en dat …”) or open a
# quotation its next sentence closes („… erkent … „We hebben gegokt …” [1]); two quotes in one
# answer are two, and the words between them are the answer's own (review).
_QUOTED = re.compile(r"„(?:[^„”]|„[^„”]*”)*”|„[^”]*”")


def answer_language(answer: str) -> str:
    """The language of an answer: a refusal message (``rag.answer.REFUSALS``) is in its own
    language; otherwise ``rag.language.detect_language`` of the text without markers and without
    verbatim quotes („…”: an English answer may quote the Dutch article), or ``""`` when it holds no
    function word of any language ("Astana [1].")."""
    text = strip_markers(answer).strip()
    text = _QUOTED.sub(" ", text).strip() or text
    for lang, refusal in REFUSALS.items():
        if text == refusal:
            return lang
    return detect_language(text, default="")


def language_match(answer: str, lang: str) -> bool | None:
    """True when ``answer_language(answer) == lang``; None when the answer's language cannot be
    told (no function words), so one-word answers are not held against a run."""
    found = answer_language(answer)
    return None if not found else found == lang


def phrased(notes: Sequence[str]) -> bool | None:
    """True when the answer holds a sentence in the model's own (checked) wording, False when all of
    it is the quote fallback (``rag.answer.QUOTED``) or says a part is not answered
    (``rag.answer.NOT_ANSWERED``); None for an answer without sentences."""
    return None if not notes else any(note not in (QUOTED, NOT_ANSWERED) for note in notes)


# -- citations --------------------------------------------------------------------------------------
def citation_precision(cited: Sequence[Span], gold: Sequence[Span]) -> float | None:
    """The share of cited quote spans that overlap a gold span in the same article.
    None when nothing is cited."""
    if not cited:
        return None
    return sum(bool(_covered(c, gold)) for c in cited) / len(cited)


def citation_recall(cited: Sequence[Span], gold: Sequence[Span]) -> float | None:
    """The share of gold spans overlapped by at least one cited quote span. None without gold."""
    if not gold:
        return None
    return sum(any(overlaps(c, g) for c in cited) for g in gold) / len(gold)


def unsupported_share(supported: Sequence[bool]) -> float | None:
    """Sentences the citation check marked unsupported / all answer sentences (one flag per
    sentence). None for an answer without sentences (a refusal)."""
    if not supported:
        return None
    return sum(not s for s in supported) / len(supported)


# -- timelines -------------------------------------------------------------------------------------
def _same_date(a: str, b: str) -> bool:
    """Dates agree at the coarser of their precisions: "2021" and "2021-07" agree, "2021-03" and
    "2021-07" do not."""
    return a.startswith(b) or b.startswith(a)


def timeline_dates(answer_dates: Sequence[str], gold: Sequence[str]) -> float | None:
    """F1 of the distinct dates of the answer's timeline lines against the gold dates (ISO: "2021",
    "2021-07", "2021-07-15"), a date matching when ``_same_date``: P = answer dates matching a gold
    date / answer dates, R = gold dates matched by an answer date / gold dates. 0.0 for an answer
    without dated lines (a refusal, or an answer that is not a timeline). None without gold dates."""
    if not gold:
        return None
    dates = list(dict.fromkeys(d for d in answer_dates if d))
    if not dates:
        return 0.0
    p = sum(any(_same_date(d, g) for g in gold) for d in dates) / len(dates)
    r = sum(any(_same_date(d, g) for d in dates) for g in gold) / len(gold)
    return 2 * p * r / (p + r) if p + r else 0.0


def timeline_order(answer_dates: Sequence[str]) -> bool | None:
    """True when the answer's timeline lines run oldest first (each line's date is not before the one
    above it; ISO dates compare as text, an undated line counts as after every date). None with
    fewer than two lines."""
    if len(answer_dates) < 2:
        return None
    keys = [(not d, d or "") for d in answer_dates]
    return all(a <= b for a, b in zip(keys, keys[1:]))


# -- abstention -------------------------------------------------------------------------------------
def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> tuple[float | None, float | None]:
    """(precision, recall) of abstaining, with "unanswerable" as the positive class.

    ``tp`` = abstained on an unanswerable question; ``fp`` = abstained on an answerable one (a miss);
    ``fn`` = answered an unanswerable one. Precision ``tp / (tp + fp)`` is None when the run never
    abstained; recall ``tp / (tp + fn)`` is None when the set has no unanswerable question.
    """
    tp = sum(a and not ok for a, ok in zip(abstained, answerable))
    fp = sum(a and ok for a, ok in zip(abstained, answerable))
    fn = sum(not a and not ok for a, ok in zip(abstained, answerable))
    return (tp / (tp + fp) if tp + fp else None, tp / (tp + fn) if tp + fn else None)


def abstention_sweep(p_answer: Sequence[float | None], abstained: Sequence[bool], answerable: Sequence[bool],
                     thresholds: Sequence[float]) -> list[dict[str, float | None]]:
    """What abstention would have been at each answerability threshold.

    ``p_answer``: the model's P(a sentence answers) per question, None where the chain abstained
    before asking (nothing retrieved or close enough), which then counts as abstaining at every
    threshold; ``abstained``: what the run did. Returns, per threshold, abstention precision and
    recall and the false-abstention rate (answerable questions refused)."""
    out = []
    n_answerable = sum(answerable)
    for t in thresholds:
        would = [a if p is None else p < t for p, a in zip(p_answer, abstained)]
        precision, recall = abstention_scores(would, answerable)
        false = sum(w and ok for w, ok in zip(would, answerable))
        out.append({"threshold": t, "precision": precision, "recall": recall,
                    "false_abstention": false / n_answerable if n_answerable else None})
    return out


# -- latency and averages ---------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) with linear interpolation between the two nearest ranks
    (numpy's default): position ``q / 100 * (n - 1)`` in the sorted values. None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q / 100 * (len(ordered) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def latency(timings: Iterable[Mapping[str, float]]) -> dict[str, dict[str, float | None]]:
    """Per stage, p50 and p95 of its seconds over the questions that ran that stage:
    ``{"retrieve": {"p50": 0.02, "p95": 0.05, "n": 40}, ...}``."""
    by_stage: dict[str, list[float]] = {}
    for t in timings:
        for stage, seconds in t.items():
            by_stage.setdefault(stage, []).append(float(seconds))
    return {stage: {"p50": percentile(v, 50), "p95": percentile(v, 95), "n": len(v)} for stage, v in by_stage.items()}


def mean(values: Iterable[float | bool | None]) -> float | None:
    """The mean of the defined values (bools count as 0/1); None when none is defined."""
    defined = [float(v) for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None
