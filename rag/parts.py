"""Questions that ask two things: "Hoeveel regenbuffers lagen er in 2021, en hoeveel komen er bij?"

Such a question is answered part by part: each part ranks the evidence for itself (and keeps to the
articles of its own date, when it names one), so the answer holds one sentence for each part instead
of two sentences for whichever part the whole question resembles most. A question is split only at
"and"/"en" followed by a question word, which is where a second question starts; "Which ministers
appear in 2021 and 2023?" stays whole (its two dates are handled by the date filter and the chain).

A question that sets what was planned against what came of it ("Hoeveel zouden de veerboten kosten,
en hoeveel kosten ze nu?", "What was it supposed to cost, and what did it turn out to cost?") asks each
part of another article of the story: the plan of the earlier report, the outcome of the latest
(``sides``). The later part of such a question is about what the first part names, also when it
names nothing itself ("… en hoeveel zijn er nu nog over?").

What this leaves out: how each part is judged and answered (``rag.chain``, ``rag.decide``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

_QUESTION_WORDS = (r"what|where|when|who|whom|whose|which|why|how|"
                   r"wat|waar|waarom|waar(?:door|mee|voor|op|aan|in|uit|over|heen|naar|bij|van|tegen)|"
                   r"wanneer|wie|welke?|hoe|hoeveel|"
                   r"(?:on|in|at|for|to|from|with|by|op|in|aan|voor|met|uit|bij|van|naar) (?:what|which|whom|how|wat|welke?|wie|hoeveel)")
_SPLIT = re.compile(rf",?\s+(?:and|en)\s+(?=(?:{_QUESTION_WORDS})\b)", re.IGNORECASE)
MIN_PART_WORDS = 2
# What came of it: "nu", "inmiddels", "echt gebeurd", "uiteindelijk", "turn out", "actually"
_NOW = re.compile(r"\b(?:nu|inmiddels|tegenwoordig|momenteel|echt|daadwerkelijk|uiteindelijk|nog over|"
                  r"now|currently|today|actually|really|eventually|in the end|turn(?:ed)? out|end(?:ed)? up)\b",
                  re.IGNORECASE)
# What was planned, promised or the case at first: "zou(den)", "moest(en)", "beloofde", "toen",
# "supposed to", "was going to", "promised", "according to the plan"
_THEN = re.compile(r"\b(?:zou|zouden|moest|moesten|beloofde|beloofden|belooft|verwachtte|verwachtten|toen|"
                   r"destijds|ten tijde van|oorspronkelijk|aanvankelijk|volgens (?:het|de) \w*(?:plan|besluit|begroting)|"
                   r"supposed to|(?:was|were) going to|promised?|originally|initially|at the time|expected|"
                   r"(?:under|in|according to) the (?:\w+ )?plan)\b", re.IGNORECASE)


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


def sides(parts: list[str]) -> list[str]:
    """For a question that sets what was planned against what came of it, "then" or "now" for each
    part (a part that says neither: ""); all "" for any other question. A part is "now" when it
    asks what came of it ("hoeveel kosten ze nu?", "what did it turn out to cost?"), else "then"
    when it asks what was planned or the case at first ("Hoeveel zouden de boten kosten?",
    "toen de vogelgriep uitbrak"); both sides must be asked."""
    marks = ["now" if _NOW.search(p) else "then" if _THEN.search(p) else "" for p in parts]
    return marks if len(parts) > 1 and "now" in marks and "then" in marks else [""] * len(parts)


def side_keeps(side: str, dates: Sequence[str | None], story: Iterable[str | None]) -> np.ndarray | None:
    """Which units a "then" or "now" part (``sides``) keeps to, by their articles' ``dates``: a "now"
    part the articles after the story's first, a "then" part the articles before its latest.
    ``story``: the dates of the articles the whole question is answered from (another story's
    article may be among them: "now" is not only the latest). None for a part of neither side, or
    when the story has articles of one date only (nothing to tell apart)."""
    known = sorted({d for d in story if d})
    if not side or len(known) < 2:
        return None
    first, last = known[0], known[-1]
    return np.array([(d or "") > first if side == "now" else "" < (d or "") < last for d in dates], dtype=bool)


def leans(parts: list[str], j: int) -> bool:
    """Part ``j`` names nobody and needs the first part to be understood ("where did he finish?"),
    or it asks what came of what the first part asks ("… en hoeveel zijn er nu nog over?")."""
    from rag.followup import needs_history
    from rag.names import question_names

    if j == 0:
        return False
    return needs_history(parts[j], [{"role": "user", "content": parts[0]}]) or (
        sides(parts)[j] == "now" and not question_names(parts[j]))
