"""Question sets: read JSON Lines (the shared format), CSV, or RAGAS-style field names into ``Question``s.

The JSON Lines format is the one in ``docs/eval.md`` (one object per line: ``id``, ``question``,
``history``, ``answer``, ``answer_keywords``, ``sources``, ``answerable``, ``lang``, ``kind``, and for a
``timeline`` question its gold ``dates``).
RAGAS names are accepted in either file type: ``user_input`` -> question (a string, or a list of
messages whose last user turn is the question and the rest the history), ``reference`` -> answer,
``reference_contexts`` -> sources (each context found verbatim in an indexed article becomes a
gold source; the others are kept as text in ``contexts``, which retrieval metrics cannot use).

Every bad line is reported with its line number (``questions.jsonl:7: not valid JSON``); all of a
file's problems are collected and raised together as one ``QuestionSetError``. Left out: fetching
question sets from URLs, and any format guessing beyond the file suffix (``.csv`` or not).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.dates import validate_iso
from rag.errors import InputError
from rag.language import detect_language

KINDS = ("fact", "multi-doc", "follow-up", "unanswerable", "trap", "timeline")
LANGS = ("nl", "en")
ROLES = ("user", "assistant")
_TRUE, _FALSE = {"true", "yes", "1", "ja", "y"}, {"false", "no", "0", "nee", "n"}
_RAGAS_ROLES = {"human": "user", "user": "user", "ai": "assistant", "assistant": "assistant"}


@dataclass(frozen=True)
class GoldSource:
    doc: str  # article id: its file name without extension
    quote: str  # an exact substring of the article text


@dataclass
class Question:
    id: str
    question: str
    history: list[dict] = field(default_factory=list)  # [{"role": "user"|"assistant", "content": str}]
    answer: str = ""  # reference answer
    answer_keywords: list[list[str]] = field(default_factory=list)  # all groups, any alternative
    sources: list[GoldSource] = field(default_factory=list)
    answerable: bool = True
    lang: str = "nl"
    kind: str = "fact"
    contexts: list[str] = field(default_factory=list)  # RAGAS contexts not found in any article
    dates: list[str] = field(default_factory=list)  # timeline: the gold dates of its lines, ISO, oldest first
    line: int = 0  # where it was read, for messages

    def to_json(self) -> dict:
        return {"id": self.id, "question": self.question, "history": self.history, "answer": self.answer,
                "answer_keywords": self.answer_keywords,
                "sources": [{"doc": s.doc, "quote": s.quote} for s in self.sources],
                "answerable": self.answerable, "lang": self.lang, "kind": self.kind,
                **({"contexts": self.contexts} if self.contexts else {}),
                **({"dates": self.dates} if self.dates else {})}


class QuestionSetError(InputError):
    """One or more bad lines in a question file; ``problems`` holds one ``file:line: reason`` each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        super().__init__(shown)


class _Bad(Exception):
    """A problem with one field of one line (turned into ``file:line: reason``)."""


# -- reading ---------------------------------------------------------------------------------------
def load_questions(path: str | Path, articles: Mapping[str, str] | None = None) -> list[Question]:
    """All questions in ``path`` (``.csv`` or JSON Lines). ``articles`` (doc id -> text) maps RAGAS
    contexts to gold sources and checks that every gold quote is in its article."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such question file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the question file ({exc})") from None
    rows = _csv_rows(raw, path.name) if path.suffix.lower() == ".csv" else _jsonl_rows(raw, path.name)
    questions, problems = [], []
    seen: dict[str, int] = {}  # id -> the line it was first on
    for line, row in rows:
        if isinstance(row, str):  # already a problem
            problems.append(row)
            continue
        try:
            q = parse_question(row, line=line, default_id=f"{path.stem}-{line}", articles=articles)
        except _Bad as exc:
            problems.append(f"{path.name}:{line}: {exc}")
            continue
        if q.id in seen:
            problems.append(f"{path.name}:{line}: duplicate id {q.id!r} (first on line {seen[q.id]})")
            continue
        seen[q.id] = line
        questions.append(q)
    if problems:
        raise QuestionSetError(problems)
    if not questions:
        raise InputError(f"{path}: no questions in the file")
    return questions


def _jsonl_rows(raw: str, name: str):
    for line, text in enumerate(raw.splitlines(), 1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            yield line, f"{name}:{line}: not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        yield line, row if isinstance(row, dict) else f"{name}:{line}: not a JSON object"


def _csv_rows(raw: str, name: str):
    """CSV rows as dicts; the JSON-valued columns are decoded, the rest stay strings."""
    reader = csv.DictReader(raw.splitlines(keepends=True))
    header = {(h or "").strip() for h in reader.fieldnames or []}
    if not ({"question", "user_input"} & header and {"answer", "reference"} & header):
        yield 1, f"{name}:1: a CSV question file needs `question` and `answer` columns (found: {', '.join(sorted(header)) or 'none'})"
        return
    start = 2
    for row in reader:
        line, start = start, reader.line_num + 1
        if None in row:
            yield line, f"{name}:{line}: more fields than the header has columns"
            continue
        row = {(k or "").strip(): v for k, v in row.items() if v is not None and v.strip() != ""}
        if not row:
            continue
        try:
            yield line, _decode_csv_row(row)
        except _Bad as exc:
            yield line, f"{name}:{line}: {exc}"


def _decode_csv_row(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(row)
    for key in ("history", "sources", "reference_contexts", "dates"):
        if key in row:
            try:
                out[key] = json.loads(row[key])
            except json.JSONDecodeError:
                raise _Bad(f"column {key!r} must hold JSON") from None
    if "answer_keywords" in row:
        text = row["answer_keywords"]
        if text.lstrip().startswith("["):
            try:
                out["answer_keywords"] = json.loads(text)
            except json.JSONDecodeError:
                raise _Bad("column 'answer_keywords' is neither JSON nor `a|b; c` groups") from None
        else:  # "25 miljoen|25 million; Blinken": groups split by ';', alternatives by '|'
            out["answer_keywords"] = [[a.strip() for a in g.split("|") if a.strip()] for g in text.split(";") if g.strip()]
    if "doc" in row or "quote" in row:  # one gold source in two plain columns
        out.setdefault("sources", [])
        out["sources"] = list(out["sources"]) + [{"doc": row.get("doc", ""), "quote": row.get("quote", "")}]
    if "answerable" in row:
        flag = row["answerable"].strip().lower()
        if flag not in _TRUE | _FALSE:
            raise _Bad(f"answerable must be true or false, not {row['answerable']!r}")
        out["answerable"] = flag in _TRUE
    return out


# -- one question ----------------------------------------------------------------------------------
def parse_question(row: Mapping[str, Any], *, line: int = 0, default_id: str = "",
                   articles: Mapping[str, str] | None = None) -> Question:
    """One question from a dict in the shared format (or with RAGAS names); ``_Bad`` when wrong."""
    question, history = _question_and_history(row)
    answer = _text(row.get("answer", row.get("reference", "")), "answer")
    keywords = _keywords(row.get("answer_keywords", []))
    sources = _sources(row.get("sources", []))
    contexts: list[str] = []
    if "reference_contexts" in row:
        found, contexts = _locate_contexts(row["reference_contexts"], articles)
        sources += found
    answerable = row.get("answerable", True)
    if not isinstance(answerable, bool):
        raise _Bad(f"answerable must be true or false, not {answerable!r}")
    if not answerable and (keywords or sources):
        raise _Bad("an unanswerable question has no answer_keywords and no sources")
    lang = row.get("lang") or (detect_language(question) if detect_language(question) in LANGS else "en")
    if lang not in LANGS:
        raise _Bad(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    kind = row.get("kind") or ("fact" if answerable else "unanswerable")
    if kind not in KINDS:
        raise _Bad(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    dates = _dates(row.get("dates", []))
    if kind == "timeline" and not (answerable and dates):
        raise _Bad('a timeline question is answerable and has its gold dates, e.g. "dates": ["2021-07", "2023-07"]')
    qid = row.get("id", default_id)
    if not isinstance(qid, (str, int)) or str(qid).strip() == "":
        raise _Bad("id must be a non-empty string")
    if articles is not None:
        for s in sources:
            if s.doc not in articles:
                raise _Bad(f"gold source {s.doc!r} is not in the index")
            if s.quote not in articles[s.doc]:
                raise _Bad(f"gold quote {_short(s.quote)!r} is not in article {s.doc}")
    return Question(id=str(qid), question=question, history=history, answer=answer, answer_keywords=keywords,
                    sources=sources, answerable=answerable, lang=lang, kind=kind, contexts=contexts, dates=dates,
                    line=line)


def _question_and_history(row: Mapping[str, Any]) -> tuple[str, list[dict]]:
    if "question" in row:
        question, history = row["question"], _history(row.get("history", []))
    elif "user_input" in row:
        question, history = row["user_input"], []
        if isinstance(question, list):  # RAGAS multi-turn: the last user message is the question
            turns = _history([_ragas_turn(m) for m in question])
            if not turns or turns[-1]["role"] != "user":
                raise _Bad("user_input as a conversation must end with a user message")
            question, history = turns[-1]["content"], turns[:-1]
    else:
        raise _Bad("missing field 'question' (or 'user_input')")
    if not isinstance(question, str) or not question.strip():
        raise _Bad("question must be a non-empty string")
    return question.strip(), history


def _ragas_turn(message: Any) -> Any:
    if isinstance(message, dict) and "role" not in message and "type" in message:
        return {"role": _RAGAS_ROLES.get(str(message["type"]).lower(), message["type"]),
                "content": message.get("content")}
    return message


def _history(value: Any) -> list[dict]:
    if not isinstance(value, list):
        raise _Bad("history must be a list of {role, content} turns")
    turns = []
    for i, turn in enumerate(value, 1):
        if not isinstance(turn, dict) or turn.get("role") not in ROLES or not isinstance(turn.get("content"), str):
            raise _Bad(f"history turn {i} must be {{\"role\": \"user\"|\"assistant\", \"content\": string}}")
        turns.append({"role": turn["role"], "content": turn["content"]})
    return turns


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise _Bad(f"{name} must be a string")
    return value


def _keywords(value: Any) -> list[list[str]]:
    if not isinstance(value, list) or not all(
            isinstance(g, list) and g and all(isinstance(a, str) and a.strip() for a in g) for g in value):
        raise _Bad('answer_keywords must be a list of non-empty lists of strings, e.g. [["25 miljoen", "25 million"]]')
    return [list(g) for g in value]


def _dates(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
        raise _Bad('dates must be a list of ISO dates, e.g. ["2021-07", "2023-07"]')
    try:
        return [validate_iso(d) for d in value]
    except InputError as exc:
        raise _Bad(f"dates: {exc}") from None


def _sources(value: Any) -> list[GoldSource]:
    if not isinstance(value, list):
        raise _Bad('sources must be a list of {"doc": ..., "quote": ...}')
    out = []
    for i, s in enumerate(value, 1):
        if not (isinstance(s, dict) and isinstance(s.get("doc"), str) and s["doc"].strip()
                and isinstance(s.get("quote"), str) and s["quote"].strip()):
            raise _Bad(f'source {i} must be {{"doc": article id, "quote": non-empty text}}')
        out.append(GoldSource(s["doc"], s["quote"]))
    return out


def _locate_contexts(value: Any, articles: Mapping[str, str] | None) -> tuple[list[GoldSource], list[str]]:
    """RAGAS ``reference_contexts``: verbatim in an article -> a gold source, otherwise kept as text."""
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise _Bad("reference_contexts must be a list of strings")
    found, kept = [], []
    for context in (c.strip() for c in value):
        if not context:
            continue
        doc = next((d for d, text in (articles or {}).items() if context in text), None)
        if doc is None:
            kept.append(context)
        else:
            found.append(GoldSource(doc, context))
    return found, kept


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
