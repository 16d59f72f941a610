"""English words to the Dutch words they translate to: so that an English question shares words with
the Dutch sentence that answers it.

Sentences are ranked by their embedding's likeness to the question plus the question's words they
hold (``rag.evidence.Evidence.relevance``). Across languages no word is shared but names, so
multilingual-e5-small decides alone, and it often ranks the answer below sentences on the subject:
"Which alderman defended the library closures?" found no „wethouder”, "What fine did the province
give …?" no „boete”. With the glossary an English word counts as held by a Dutch sentence that holds
one of its translations. Measured on the training sets' 155 English one-part questions with a gold
sentence (docs/eval.md, stop 42): the gold sentence among the five judged 109 → 117, none lost.

The pairs come from FreeDict's English-Dutch and Dutch-English dictionaries (GPL; Debian's
``dict-freedict-eng-nld`` and ``dict-freedict-nld-eng``), written by ``newsrag setup`` to a TSV file,
one English word per line with its Dutch words (``newsrag.setup.glossary_build``). Without the file
the ranking is as it was. Words are stemmed here, when the file is read, with the keyword index's
stemmer (``rag.keyword.analyze``), so the file never goes stale when stemming changes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from rag.keyword import analyze

log = logging.getLogger(__name__)

# An English word with more Dutch words than this is too ambiguous to match on: "fire" is „brand”
# but also „afdanken” and „afvuren”, "noise" „lawaai” but also „leven”. On the training sets' English
# questions: all words 109 → 116 gold among the five judged (2 lost), at most 6 → 117 (none lost),
# at most 3 → 114 (1 lost).
MAX_TRANSLATIONS = 6

Glossary = Mapping[str, frozenset[str]]  # English stem -> the stems of its Dutch translations


def glossary_from_pairs(pairs: Iterable[tuple[str, Iterable[str]]]) -> Glossary:
    """The glossary of (English word, its Dutch words) pairs: single words only, function words
    left out, an English word with more than ``MAX_TRANSLATIONS`` Dutch words left out."""
    out: dict[str, frozenset[str]] = {}
    for english, dutch in pairs:
        words = {w for w in dutch if w and " " not in w}
        key = analyze(english)
        if len(key) != 1 or not words or len(words) > MAX_TRANSLATIONS:
            continue
        stems = frozenset(s for w in words for s in analyze(w)) - {key[0]}
        if stems:
            out[key[0]] = out.get(key[0], frozenset()) | stems
    return out


@functools.lru_cache(maxsize=4)
def load_glossary(path: Path) -> Glossary | None:
    """The glossary in ``path`` (``english<TAB>dutch,dutch,…`` per line), read once per process;
    None when there is none (answers are ranked without it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        log.info("no English-Dutch glossary at %s: English questions are matched to Dutch sentences by "
                 "meaning only (`newsrag setup` writes it)", path)
        return None
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("the English-Dutch glossary %s cannot be read (%s): ranking without it", path, exc)
        return None
    pairs = (line.split("\t", 1) for line in text.splitlines() if "\t" in line)
    return glossary_from_pairs((en, nl.split(",")) for en, nl in pairs)


def held(wanted: set[str], words: set[str], glossary: Glossary | None) -> set[str]:
    """The words of ``wanted`` that ``words`` holds, itself or (with a glossary) in translation."""
    if not glossary:
        return wanted & words
    return {w for w in wanted if w in words or not glossary.get(w, frozenset()).isdisjoint(words)}
