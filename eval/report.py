"""Reports of an eval run: the machine JSON, a rich table, deltas against an old run, CI gates.

The JSON (``to_json``) is the one shape everything else reads: the terminal table, the HTML page
(``eval.html_report``), ``compare`` and ``fail_under`` all work on it, so an old run's file can be
compared without re-running it.

    {"config": {...}, "metrics": {name: value}, "by_kind": {kind: {...}}, "by_lang": {lang: {...}},
     "latency": {stage: {"p50", "p95", "n"}}, "questions": [{id, question, answer, scores, passed, ...}]}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from eval import metrics as m
from eval.runner import JUDGED, LOWER_IS_BETTER, METRICS, SET_METRICS, EvalRun, QuestionResult, gold_spans
from rag.errors import InputError

ALL_METRICS = METRICS + SET_METRICS + JUDGED


# -- JSON -------------------------------------------------------------------------------------------
def to_json(run: EvalRun, articles: Mapping[str, str]) -> dict[str, Any]:
    return {"config": run.config, **run.summary(), "questions": [question_row(r, articles) for r in run.results]}


def question_row(r: QuestionResult, articles: Mapping[str, str]) -> dict[str, Any]:
    q, a = r.question, r.answer
    gold = gold_spans(q, articles)
    return {
        "id": q.id, "kind": q.kind, "lang": q.lang, "answerable": q.answerable, "question": q.question,
        "history": q.history, "reference": q.answer, "answer_keywords": q.answer_keywords,
        "answer": a.answer if a else "", "abstained": bool(a and a.abstained),
        "best_score": max((s.score for s in a.sources), default=None) if a else None,  # vs min_score
        "p_answer": a.decision.get("p_answer") if a else None,  # vs the answer threshold (modes with a model)
        "decision": a.decision if a else {},  # each judged sentence's P(Yes), per part: for calibrating offline
        "raw_answer": a.raw_answer if a else "", "dropped": [s.text for s in a.dropped] if a else [],
        "dropped_why": [s.note for s in a.dropped] if a else [],  # the check's reason for each, in order
        "abstain_reason": a.abstain_reason if a else "", "standalone_query": a.standalone_query if a else "",
        "citations": [{"n": c.n, "doc": c.doc_id, "quote": c.quote, "start": c.start, "end": c.end,
                       "gold": any(m.overlaps((c.doc_id, c.start, c.end), g) for g in gold)}
                      for c in (a.citations if a else [])],
        "gold": [{"doc": s.doc, "quote": s.quote} for s in q.sources] + [{"doc": "", "quote": c} for c in q.contexts],
        "sources": [{"n": s.n, "doc": s.doc_id, "start": s.start, "end": s.end, "score": s.score, "cited": s.cited,
                     "relevant": any(m.overlaps((s.doc_id, s.start, s.end), g) for g in gold)}
                    for s in (a.sources if a else [])],
        "scores": r.scores, "timings": r.timings, "passed": r.passed, "error": r.error,
    }


def write_json(report: Mapping[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def load_json(path: str | Path) -> dict[str, Any]:
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such report") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not an eval report ({exc})") from None
    if not isinstance(report, dict) or not isinstance(report.get("metrics"), dict):
        raise InputError(f"{path}: not an eval report (no 'metrics')")
    return report


# -- terminal ---------------------------------------------------------------------------------------
def fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def summary_table(report: Mapping[str, Any], scopes: str = "lang") -> Table:
    """Metrics as rows; overall and each language (``scopes="lang"``) or each kind as columns."""
    groups = report["by_lang"] if scopes == "lang" else report["by_kind"]
    columns = ([("overall", report["metrics"])] if scopes == "lang" else []) + list(groups.items())
    c = report.get("config", {})
    title = (f"{c.get('questions', '')} · {c.get('mode')} · {c.get('retriever')} · k={c.get('k')}"
             if scopes == "lang" else "by kind")
    table = Table(title=Text(title), title_justify="left")
    table.add_column("metric", no_wrap=True)
    for name, _ in columns:
        table.add_column(name, justify="right", no_wrap=True)
    for metric in ALL_METRICS:
        if any(metric in values for _, values in columns):
            table.add_row(metric, *(fmt(values.get(metric)) for _, values in columns))
    table.add_row("passed / n", *(f"{v['passed']}/{v['n']}" for _, v in columns), end_section=True)
    return table


def latency_table(report: Mapping[str, Any]) -> Table:
    table = Table("stage", "p50 s", "p95 s", "n", title="latency", title_justify="left")
    for stage, v in report["latency"].items():
        table.add_row(stage, fmt(v["p50"]), fmt(v["p95"]), str(v["n"]))
    return table


def print_report(report: Mapping[str, Any], console: Console) -> None:
    console.print(summary_table(report, "lang"))
    console.print(summary_table(report, "kind"))
    console.print(latency_table(report))
    failed = [q["id"] for q in report["questions"] if q["passed"] is False]
    if failed:
        console.print(Text(f"failed ({len(failed)}): {', '.join(failed)}"))


# -- comparing --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delta:
    scope: str  # "overall", "kind:fact", "lang:nl"
    metric: str
    old: float
    new: float

    @property
    def delta(self) -> float:
        return self.new - self.old

    @property
    def better(self) -> bool:
        return self.delta < 0 if self.metric in LOWER_IS_BETTER else self.delta > 0


def _scopes(report: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {"overall": report["metrics"], **{f"kind:{k}": v for k, v in report.get("by_kind", {}).items()},
            **{f"lang:{k}": v for k, v in report.get("by_lang", {}).items()}}


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Delta]:
    """Every metric defined in both reports, per scope (overall, by kind, by language)."""
    old_scopes, out = _scopes(old), []
    for scope, values in _scopes(new).items():
        for metric in ALL_METRICS:
            a, b = old_scopes.get(scope, {}).get(metric), values.get(metric)
            if a is not None and b is not None:
                out.append(Delta(scope, metric, float(a), float(b)))
    return out


def flips(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(ids that passed before and fail now, ids that failed before and pass now)."""
    before = {q["id"]: q["passed"] for q in old.get("questions", [])}
    now = {q["id"]: q["passed"] for q in new.get("questions", [])}
    worse = [i for i, p in now.items() if p is False and before.get(i) is True]
    better = [i for i, p in now.items() if p is True and before.get(i) is False]
    return worse, better


def print_compare(old: Mapping[str, Any], new: Mapping[str, Any], console: Console, label: str = "old") -> None:
    table = Table("scope", "metric", label, "new", "Δ", title=f"compared with {label}", title_justify="left")
    for d in compare(old, new):
        if d.scope == "overall" or abs(d.delta) >= 0.0005:
            style = "" if abs(d.delta) < 0.0005 else "green" if d.better else "red"
            table.add_row(d.scope, d.metric, fmt(d.old), fmt(d.new), Text(f"{d.delta:+.3f}", style=style))
    console.print(table)
    worse, better = flips(old, new)
    if worse:
        console.print(Text(f"now failing: {', '.join(worse)}", style="red"))
    if better:
        console.print(Text(f"now passing: {', '.join(better)}", style="green"))


# -- gates ------------------------------------------------------------------------------------------
def parse_gates(specs: Sequence[str]) -> list[tuple[str, float]]:
    """``["answer_accuracy=0.6", "hit@k=0.8"]`` -> ``[("answer_accuracy", 0.6), ("hit@k", 0.8)]``."""
    gates = []
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep or name not in ALL_METRICS:
            raise InputError(f"--fail-under {spec!r}: expected metric=value with a metric among "
                             f"{', '.join(ALL_METRICS)}")
        try:
            gates.append((name, float(value)))
        except ValueError:
            raise InputError(f"--fail-under {spec!r}: {value!r} is not a number") from None
    return gates


def fail_under(specs: Sequence[str], metrics: Mapping[str, Any]) -> list[str]:
    """One message per gate the run misses: a metric below its value (above it for a metric where
    lower is better, such as ``unsupported_share``), or undefined in this run."""
    failures = []
    for name, bound in parse_gates(specs):
        value = metrics.get(name)
        if value is None:
            failures.append(f"{name} is undefined in this run (gate {bound:g})")
        elif name in LOWER_IS_BETTER and value > bound:
            failures.append(f"{name} = {value:.3f} is above {bound:g}")
        elif name not in LOWER_IS_BETTER and value < bound:
            failures.append(f"{name} = {value:.3f} is below {bound:g}")
    return failures
