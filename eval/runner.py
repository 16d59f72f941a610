"""Run a question set through the chat's own pipeline (``Chatbot.ask``, history included) and score it.

    questions -> bot.ask(question, history) -> score(question, answer) -> aggregate (overall, by kind, by lang)

Eval takes a bot; building one is the application's job (``newsrag eval`` builds a ``Chatbot`` from
settings with its flags as overrides), so an evaluated configuration is exactly one the chat can
run, and eval depends on no front end. Per-question scores are the functions in ``eval.metrics``;
this module only decides which apply to which question and averages them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from eval import judge as judged
from eval import metrics as m
from eval.questions import Question
from rag.answer import Answer
from rag.errors import BackendError, InputError
from rag.settings import Settings

# Per-question metrics, in report order; each is averaged over the questions where it is defined.
METRICS = ("hit@1", "hit@k", "recall@k", "mrr", "ndcg@k", "answer_accuracy", "token_f1", "language_match",
           "phrased", "citation_precision", "citation_recall", "unsupported_share", "timeline_dates", "timeline_order")
# Set-level metrics (not an average of per-question values).
SET_METRICS = ("abstention_precision", "abstention_recall")
JUDGED = ("faithfulness", "answer_correctness")
LOWER_IS_BETTER = {"unsupported_share"}


class EvalBot(Protocol):
    """What eval uses of a ``newsrag.Chatbot``."""

    settings: Settings

    def ask(self, question: str, history: Sequence[dict] = ...) -> Answer: ...

    def article_texts(self) -> dict[str, str]: ...

    def llm_for(self, mode: str) -> BaseChatModel | None: ...


@dataclass
class QuestionResult:
    question: Question
    answer: Answer | None  # None when the pipeline raised an error for this question
    scores: dict[str, Any]  # metric -> float | bool | None
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds, plus "total"
    error: str = ""

    @property
    def passed(self) -> bool | None:
        """Answer accuracy when defined, else token F1 >= 0.5 (RAGAS sets without keywords)."""
        acc = self.scores.get("answer_accuracy")
        if acc is not None:
            return bool(acc)
        f1 = self.scores.get("token_f1")
        return None if f1 is None else f1 >= 0.5


@dataclass
class EvalRun:
    config: dict[str, Any]
    results: list[QuestionResult]

    def summary(self) -> dict[str, Any]:
        by_kind = _groups(self.results, lambda r: r.question.kind)
        by_lang = _groups(self.results, lambda r: r.question.lang)
        return {"metrics": aggregate(self.results),
                "by_kind": {kind: aggregate(rs) for kind, rs in by_kind.items()},
                "by_lang": {lang: aggregate(rs) for lang, rs in by_lang.items()},
                "latency": m.latency(r.timings for r in self.results)}


def _groups(results, key) -> dict[str, list[QuestionResult]]:
    out: dict[str, list[QuestionResult]] = {}
    for r in results:
        out.setdefault(key(r), []).append(r)
    return dict(sorted(out.items()))


# -- scoring ----------------------------------------------------------------------------------------
def gold_spans(question: Question, articles: Mapping[str, str]) -> list[m.Span]:
    spans = [m.quote_span(s.doc, s.quote, articles) for s in question.sources]
    return [s for s in spans if s is not None]


def score(question: Question, answer: Answer, articles: Mapping[str, str], k: int) -> dict[str, Any]:
    """Every per-question metric for one answer (None where a metric does not apply)."""
    gold = gold_spans(question, articles)
    retrieved = [(s.doc_id, s.start, s.end) for s in answer.sources]
    cited = [(c.doc_id, c.start, c.end) for c in answer.citations]
    answerable = question.answerable
    if answerable:
        matched = m.keyword_match(answer.answer, question.answer_keywords)
        accuracy = None if matched is None else (matched and not answer.abstained)
    else:
        accuracy = answer.abstained
    lines = [] if answer.abstained else [t.get("date") or "" for t in answer.decision.get("timeline", [])]
    return {
        "hit@1": m.hit_at_k(retrieved, gold, 1),
        "hit@k": m.hit_at_k(retrieved, gold, k),
        "recall@k": m.recall_at_k(retrieved, gold, k),
        "mrr": m.reciprocal_rank(retrieved, gold),
        "ndcg@k": m.ndcg_at_k(retrieved, gold, k),
        "answer_accuracy": accuracy,
        "token_f1": (0.0 if answer.abstained else m.token_f1(answer.answer, question.answer))
        if answerable and question.answer.strip() else None,
        "language_match": m.language_match(answer.answer, question.lang),
        "phrased": m.phrased([s.note for s in answer.sentences]) if answer.mode != "extractive" and not answer.abstained
        else None,
        "citation_precision": m.citation_precision(cited, gold) if answerable else None,
        "citation_recall": m.citation_recall(cited, gold) if answerable else None,
        "unsupported_share": m.unsupported_share([s.supported for s in answer.sentences]),
        "timeline_dates": m.timeline_dates(lines, question.dates),
        "timeline_order": m.timeline_order(lines) if question.dates else None,
        "abstained": answer.abstained,
    }


def failed_scores(question: Question) -> dict[str, Any]:
    """Scores of a question whose pipeline raised: wrong, and neither abstained nor anything else."""
    return {**{name: None for name in METRICS}, "answer_accuracy": False, "abstained": False}


def aggregate(results: Sequence[QuestionResult]) -> dict[str, Any]:
    """Means of the per-question metrics over the questions where each is defined, the abstention
    precision and recall over the whole set, and counts."""
    out: dict[str, Any] = {name: m.mean(r.scores.get(name) for r in results) for name in METRICS}
    out["abstention_precision"], out["abstention_recall"] = m.abstention_scores(
        [bool(r.scores.get("abstained")) for r in results], [r.question.answerable for r in results])
    for name in JUDGED:
        if any(name in r.scores for r in results):
            out[name] = m.mean(r.scores.get(name) for r in results)
    out["n"] = len(results)
    out["passed"] = sum(bool(r.passed) for r in results)
    out["errors"] = sum(bool(r.error) for r in results)
    return out


# -- running ----------------------------------------------------------------------------------------
def article_texts(bot: EvalBot) -> dict[str, str]:
    """doc id -> article text for every indexed article (gold quotes are substrings of these)."""
    texts = bot.article_texts()
    if not texts:
        raise InputError(f"the index is empty ({bot.settings.where()}): run `newsrag ingest data/articles` first")
    return texts


def run_config(bot: EvalBot, questions_path: str = "") -> dict[str, Any]:
    s = bot.settings
    return {"questions": str(questions_path), "mode": s.answer_mode, "retriever": s.retriever,
            "bm25_weight": s.bm25_weight if s.retriever == "hybrid" else None, "k": s.k, "fetch_k": s.fetch_k,
            "min_score": s.min_score, "support_score": s.support_score,
            "answer_threshold": s.answer_threshold if s.answer_mode != "extractive" else None, "embed_model": s.embed_model_path.rsplit("/", 1)[-1],
            "started": datetime.now(UTC).isoformat(timespec="seconds")}


def run_questions(bot: EvalBot, questions: Sequence[Question], articles: Mapping[str, str], *,
                  judge: BaseChatModel | None = None, progress: bool = True, console: Console | None = None,
                  config: dict[str, Any] | None = None) -> EvalRun:
    """Ask every question with its history through ``bot.ask`` and score the answers."""
    k = bot.settings.k
    results = []
    columns = (TextColumn("eval {task.fields[qid]:<14}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console or Console(stderr=True), transient=True, disable=not progress) as bar:
        task = bar.add_task("eval", total=len(questions), qid="")
        for q in questions:
            bar.update(task, qid=q.id)
            results.append(_one(bot, q, articles, k, judge))
            bar.advance(task)
    return EvalRun(config or run_config(bot), results)


def _one(bot: EvalBot, q: Question, articles: Mapping[str, str], k: int, judge: BaseChatModel | None) -> QuestionResult:
    t0 = time.perf_counter()
    try:
        answer = bot.ask(q.question, q.history)
    except (BackendError, InputError) as exc:  # this question's failure, not the run's (ConfigError stops it)
        return QuestionResult(q, None, failed_scores(q), {"total": time.perf_counter() - t0}, error=str(exc))
    timings = {**answer.timings, "total": time.perf_counter() - t0}
    scores = score(q, answer, articles, k)
    if judge is not None:
        plain = m.strip_markers(answer.answer)
        scores["faithfulness"] = None if answer.abstained else judged.faithfulness(
            q.question, plain, [s.text for s in answer.sources], judge)
        scores["answer_correctness"] = None if not q.answerable else (
            0.0 if answer.abstained else judged.answer_correctness(q.question, plain, q.answer, judge))
    return QuestionResult(q, answer, scores, timings)
