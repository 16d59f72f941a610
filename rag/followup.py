"""Follow-up questions: make a question that leans on the conversation stand alone for retrieval.

"Hoeveel geld zegde hij daar toe?" after "Welke regio bezocht Blinken in maart 2023?" is searched
as the earlier question, the first sentence of its answer and the question together, so the names
and dates of the earlier turn reach the retriever (and the date filter). The answer matters: after
"Which country hosted the G20?" "India.", "that country" is India. A question that already stands
alone is searched as it is.

That join is deterministic and costs nothing, but a judge or phraser shown "(Wie is Gerrit
Haverkamp?) Wat zei hij over boerenfamilies?" did poorly (1 of 8 follow-ups right on
eval/tune.jsonl). With a model, a follow-up is rewritten to stand alone ("Wat zei Gerrit Haverkamp
over boerenfamilies?"), from the earlier question and answer, and the rewrite is used only when code
finds each of its words in the question or the conversation: a 1.5B model sometimes invents, and an
invented name would send the search elsewhere. Otherwise the join is used.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

Message = dict  # {"role": "user" | "assistant", "content": str}

_LEANING = re.compile(
    # Pronouns and pointers that need an antecedent. Not "dat", "die", "zijn" alone: too common.
    r"\b(hij|zij|ze|hem|haar|hun|hen|daar|daarover|daarvan|daarna|ervan|erover|diezelfde|dezelfde|"
    r"he|she|him|her|his|it|its|they|them|their|there|same)\b"
    # "that country's position", "the head of that commission", "bij dat bezoek": a thing named before
    r"|\b(that|this|those|these)\s+(?!(is|was|are|were|the|a|an|he|she|it|they|we|i|you|there)\b)[a-z]{3,}"
    r"|\b(bij|in|van|over|op|na|voor|tijdens|met|aan|uit|door|naar|sinds)\s+(dat|die|deze|dit)\s+[a-z]{3,}\b"
    # "wat vindt dat land ervan?": "dat" and "die" also join clauses, so only before a noun that names
    # something said before
    r"|\b(dat|die|deze|dit)\s+(land|landen|stad|dorp|regio|gebied|provincie|gemeente|bedrijf|organisatie|partij|"
    r"regering|kabinet|minister|president|leider|man|vrouw|commissie|rapport|plan|wet|verdrag|bezoek|"
    r"bijeenkomst|top|conflict|oorlog|besluit|voorstel|ploeg|wedstrijd|ramp)\b",
    re.IGNORECASE,
)
# Pronouns a rewrite must have replaced to stand alone ("ze", "haar", "it", "there" also have other uses)
_POINTERS = re.compile(r"\b(hij|hem|zij|he|him|she|daar)\b", re.IGNORECASE)
_OPENERS = re.compile(r"^\s*(en|maar|and|but|what about|en wat|hoe zit het|waarom\?|why\?)\b", re.IGNORECASE)


def previous_question(history: Sequence[Message]) -> str:
    for message in reversed(history):
        if message.get("role") == "user" and str(message.get("content", "")).strip():
            return str(message["content"]).strip()
    return ""


def previous_answer(history: Sequence[Message], limit: int = 200) -> str:
    """The last answer of the conversation, short and plain: its first sentence or so (at most
    ``limit`` characters), without citation marks and quote marks; "" when it was a refusal. A
    follow-up's "she" or "that country" often names what the answer said, not the question: "Which
    country hosted the G20?" "India." "What is that country's position on the war?"."""
    from rag.answer import REFUSALS

    for message in reversed(history):
        if message.get("role") == "assistant":
            text = re.sub(r"\s*\[\d+\]", "", str(message.get("content", "")))
            text = re.sub(r"([.!?])[.!?]+", r"\1", re.sub(r"[„”“\"]", "", text)).strip()
            if text in REFUSALS.values():
                return ""
            first = re.match(r".+?[.!?](?=\s|$)", text, re.DOTALL)
            text = " ".join((first.group(0) if first else text).split())
            return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
        if message.get("role") == "user":
            return ""
    return ""


def needs_history(question: str, history: Sequence[Message]) -> bool:
    if not previous_question(history):
        return False
    words = re.findall(r"\w+", question)
    return len(words) <= 4 or bool(_OPENERS.search(question)) or bool(_LEANING.search(question))


def standalone_query(question: str, history: Sequence[Message]) -> str:
    """The query to retrieve with: the question, or the previous question and answer followed by it."""
    question = question.strip()
    if not needs_history(question, history):
        return question
    return " ".join(x for x in (previous_question(history), previous_answer(history), question) if x)


def _stems(text: str) -> list[str]:
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return [w[:5] for w in re.findall(r"[^\W\d_]{3,}", folded)]


def grounded(rewrite: str, question: str, history: Sequence[Message]) -> bool:
    """True when every word of ``rewrite`` (first five letters, accents folded) occurs in the question
    or the conversation, the rewrite keeps every word of the question but the pointers it replaced
    ("Hoeveel geld zegde Blinken in Centraal-Azië?" lost the "toe" of "zegde … toe"), and it is a
    question of its own: not empty, not the question unchanged, no "hij" or "daar" left, not a ramble."""
    said = set(_stems(question)) | {s for m in history for s in _stems(str(m.get("content", "")))}
    words = _stems(rewrite)
    kept = set(_stems(_LEANING.sub(" ", question))) <= set(words)
    return (bool(words) and kept and rewrite.strip() != question.strip() and not _POINTERS.search(rewrite)
            and len(rewrite) <= 3 * len(question) + 200 and all(w in said for w in words))


def model_rewrite(llm: BaseChatModel, question: str, history: Sequence[Message]) -> str | None:
    """The follow-up made to stand alone by the model, or None when it is not needed or not grounded."""
    from rag.prompts import rewrite_messages

    if not needs_history(question, history):
        return None
    reply = llm.bind(max_tokens=80, stop=["\n"]).invoke(
        rewrite_messages(previous_question(history), previous_answer(history), question))
    rewrite = str(reply.content).strip().strip('"')
    return rewrite if grounded(rewrite, question, history) else None
