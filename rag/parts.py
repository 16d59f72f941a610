"""Questions that ask two things: "Hoeveel regenbuffers lagen er in 2021, en hoeveel komen er bij?"

Such a question is answered part by part: each part ranks the evidence for itself (and keeps to the
articles of its own date, when it names one), so the answer holds one sentence for each part instead
of two sentences for whichever part the whole question resembles most. A question is split only at
"and"/"en" followed by a question word, which is where a second question starts; "Which ministers
appear in 2021 and 2023?" stays whole (its two dates are handled by the date filter and the chain).

What this leaves out: how each part is judged and answered (``rag.chain``, ``rag.decide``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_QUESTION_WORDS = (r"what|where|when|who|whom|whose|which|why|how|"
                   r"wat|waar|waarom|waar(?:door|mee|voor|op|aan|in|uit|over|heen|naar|bij|van|tegen)|"
                   r"wanneer|wie|welke?|hoe|hoeveel|"
                   r"(?:on|in|at|for|to|from|with|by|op|in|aan|voor|met|uit|bij|van|naar) (?:what|which|whom|wat|welke?|wie)")
_SPLIT = re.compile(rf",?\s+(?:and|en)\s+(?=(?:{_QUESTION_WORDS})\b)", re.IGNORECASE)
MIN_PART_WORDS = 2


@dataclass(frozen=True)
class Part:
    text: str
    scores: np.ndarray  # relevance of each evidence unit to this part; -inf where its date rules it out


def split_question(question: str) -> list[str]:
    """The parts of a question that asks several things, in order; ``[question]`` when it asks one."""
    parts = [p.strip(" ,") for p in _SPLIT.split(question.strip())]
    parts = [p for p in parts if p]
    if len(parts) < 2 or any(len(re.findall(r"\w+", p)) < MIN_PART_WORDS for p in parts):
        return [question.strip()]
    return [p if p.endswith("?") else p + "?" for p in parts]


def leans(parts: list[str], j: int) -> bool:
    """Part ``j`` names nobody and needs the first part to be understood ("where did he finish?")."""
    from rag.followup import needs_history

    return j > 0 and needs_history(parts[j], [{"role": "user", "content": parts[0]}])
