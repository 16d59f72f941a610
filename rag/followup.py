"""Follow-up questions: make a question that leans on the conversation stand alone for retrieval.

"Hoeveel geld zegde hij daar toe?" after "Welke regio bezocht Blinken in maart 2023?" is searched
as both questions together, so the names and dates of the earlier turn reach the retriever (and
the date filter). A question that already stands alone is searched as it is.

That join is deterministic and costs nothing, but a judge or phraser shown "(Wie is Gerrit
Haverkamp?) Wat zei hij over boerenfamilies?" did poorly (1 of 8 follow-ups right on
eval/tune.jsonl). With a model, a follow-up is rewritten to stand alone ("Wat zei Gerrit Haverkamp
over boerenfamilies?"), and the rewrite is used only when code finds each of its words in the
question or the conversation: a 1.5B model sometimes invents, and an invented name would send the
search elsewhere. Otherwise the join is used.
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
    # Pronouns and pointers that need an antecedent. Not "dat", "die", "zijn", "it": too common.
    r"\b(hij|zij|ze|hem|haar|hun|hen|daar|daarover|daarvan|daarna|ervan|erover|diezelfde|dezelfde|"
    r"he|she|him|her|his|they|them|their|there|same)\b",
    re.IGNORECASE,
)
_OPENERS = re.compile(r"^\s*(en|maar|and|but|what about|en wat|hoe zit het|waarom\?|why\?)\b", re.IGNORECASE)


def previous_question(history: Sequence[Message]) -> str:
    for message in reversed(history):
        if message.get("role") == "user" and str(message.get("content", "")).strip():
            return str(message["content"]).strip()
    return ""


def needs_history(question: str, history: Sequence[Message]) -> bool:
    if not previous_question(history):
        return False
    words = re.findall(r"\w+", question)
    return len(words) <= 4 or bool(_OPENERS.search(question)) or bool(_LEANING.search(question))


def standalone_query(question: str, history: Sequence[Message]) -> str:
    """The query to retrieve with: the question, or the previous question followed by it."""
    question = question.strip()
    if not needs_history(question, history):
        return question
    return f"{previous_question(history)} {question}"


def _stems(text: str) -> list[str]:
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return [w[:5] for w in re.findall(r"[^\W\d_]{3,}", folded)]


def grounded(rewrite: str, question: str, history: Sequence[Message]) -> bool:
    """True when every word of ``rewrite`` (first five letters, accents folded) occurs in the question
    or the conversation, and it is a question of its own: not empty, not the question unchanged, not
    a ramble."""
    said = set(_stems(question)) | {s for m in history for s in _stems(str(m.get("content", "")))}
    words = _stems(rewrite)
    return (bool(words) and rewrite.strip() != question.strip() and len(rewrite) <= 3 * len(question) + 200
            and all(w in said for w in words))


def model_rewrite(llm: BaseChatModel, question: str, history: Sequence[Message]) -> str | None:
    """The follow-up made to stand alone by the model, or None when it is not needed or not grounded."""
    from rag.prompts import rewrite_messages

    if not needs_history(question, history):
        return None
    reply = llm.bind(max_tokens=80, stop=["\n"]).invoke(rewrite_messages(previous_question(history), question))
    rewrite = str(reply.content).strip().strip('"')
    return rewrite if grounded(rewrite, question, history) else None
