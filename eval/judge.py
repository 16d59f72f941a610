"""Optional metrics judged by an LLM: faithfulness and answer correctness.

The judge is any LangChain ``BaseChatModel`` passed in (``--judge server`` builds the settings'
OpenAI-compatible server model); nothing here builds or picks one. Each call asks for one number
between 0 and 1 and keeps the first number in the reply; a reply without a usable number gives
None, which averages skip. Judged scores are not deterministic, so CI gates never use them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_SYSTEM = "You are a strict evaluator of answers produced by a question-answering system over news articles."
_FAITHFULNESS = """Context passages:
{contexts}

Question: {question}
Answer: {answer}

What share of the claims in the answer is supported by the context passages? Reply with one number
between 0 (none) and 1 (all), nothing else."""
_CORRECTNESS = """Question: {question}
Reference answer: {reference}
Answer to grade: {answer}

How correct and complete is the answer compared with the reference answer? The answer may be in another
language than the reference. Reply with one number between 0 (wrong) and 1 (fully correct), nothing else."""


def parse_score(reply: str) -> float | None:
    """The first number in ``reply`` when it lies in [0, 1] (a decimal comma is accepted)."""
    m = _NUMBER.search(reply or "")
    if not m:
        return None
    value = float(m.group().replace(",", "."))
    return value if 0.0 <= value <= 1.0 else None


def _ask(judge: BaseChatModel, prompt: str) -> float | None:
    reply = judge.invoke([SystemMessage(_SYSTEM), HumanMessage(prompt)])
    score = parse_score(str(reply.content))
    if score is None:
        log.warning("judge reply without a score between 0 and 1: %r", str(reply.content)[:200])
    return score


def faithfulness(question: str, answer: str, contexts: Sequence[str], judge: BaseChatModel) -> float | None:
    """The judge's share (0..1) of the answer's claims that the retrieved passages support.
    None for an empty answer or no passages."""
    if not answer.strip() or not contexts:
        return None
    numbered = "\n\n".join(f"[{i}] {c}" for i, c in enumerate(contexts, 1))
    return _ask(judge, _FAITHFULNESS.format(contexts=numbered, question=question, answer=answer))


def answer_correctness(question: str, answer: str, reference: str, judge: BaseChatModel) -> float | None:
    """The judge's grade (0..1) of the answer against the reference answer. None without a reference."""
    if not reference.strip() or not answer.strip():
        return None
    return _ask(judge, _CORRECTNESS.format(question=question, reference=reference, answer=answer))
