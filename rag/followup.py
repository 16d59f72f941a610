"""Follow-up questions: make a question that leans on the conversation stand alone for retrieval.

"Hoeveel geld zegde hij daar toe?" after "Welke regio bezocht Blinken in maart 2023?" is searched
as both questions together, so the names and dates of the earlier turn reach the retriever (and
the date filter). A question that already stands alone is searched as it is. Deterministic on
purpose: a 1.5B model rewriting queries costs seconds and sometimes invents.
"""

from __future__ import annotations

import re
from typing import Sequence

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
