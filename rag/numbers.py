"""The numbers a text states, written alike whatever their language or form.

The citation check (``rag.citations``) asks that every number of an answer sentence be in the quote
that supports it: embeddings are loose about numbers. An English answer from a Dutch quote writes
the same number another way, so both sides are read into one form:

- digits, "1,5" and "1.5" alike; a group of three digits after a separator is thousands in either
  language: "2,300" (English), "2.300" (Dutch) and "2300" are 2300;
- number words of either language as their digits ("drie", "three-day", "driedaags": 3), and the
  compounds Dutch writes as one word ("eenentwintig": 21, "negenduizend": 9000) or English with
  a hyphen or a scale word ("twenty-one", "nine thousand"); halves: "anderhalf" and "an hour and
  a half" are 1.5, "half", "halfuur" and "by half" 0.5;
- clock times as 24-hour "H:MM": „tussen 7.00 en 19.00 uur” and "from 7 a.m. to 7 p.m." both
  hold 7:00 and 19:00.

Stop 42 (docs/eval.md): an English answer "The two hospitals employed 2,300 staff" was dropped for
„zo'n 2300 medewerkers”, and "runs every half-hour" for „elk halfuur”; each fell back to a quote
the asker may not read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

_NL = {"een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8, "negen": 9,
       "tien": 10, "elf": 11, "twaalf": 12, "dertien": 13, "veertien": 14, "vijftien": 15, "zestien": 16,
       "zeventien": 17, "achttien": 18, "negentien": 19, "twintig": 20, "dertig": 30, "veertig": 40, "vijftig": 50,
       "zestig": 60, "zeventig": 70, "tachtig": 80, "negentig": 90, "honderd": 100, "duizend": 1000}
_EN = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
       "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
       "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
       "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000}


def _alternatives(words: list[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


def _of(values: dict[str, int], low: int, high: int) -> str:
    return _alternatives([w for w, v in values.items() if low <= v <= high])


# One Dutch word: "vijfentwintig", "tweehonderdvijftig", "negenduizend", "drieëntwintig".
_NL_BELOW_100 = rf"(?:(?:{_of(_NL, 1, 9)})(?:en|ën)(?:{_of(_NL, 20, 90)})|{_of(_NL, 1, 90)})"
_NL_BELOW_1000 = rf"(?:(?:{_of(_NL, 1, 19)})?honderd{_NL_BELOW_100}?|{_NL_BELOW_100})"
_NL_COMPOUND = re.compile(rf"\b(?:{_NL_BELOW_1000}?duizend{_NL_BELOW_1000}?|{_NL_BELOW_1000})\b", re.IGNORECASE)
_NL_PARTS = re.compile(rf"{_alternatives(list(_NL))}|en|ën", re.IGNORECASE)
# English numbers of several words: "twenty-one", "two hundred and fifty", "nine thousand", "forty-two
# thousand". Number words merely side by side are several numbers ("five six", "the two three-day visits").
_EN_SMALL = (rf"(?:(?:{_of(_EN, 20, 90)})-(?:{_of(_EN, 1, 9)})|{_of(_EN, 1, 90)})")
_EN_HUNDREDS = rf"(?:{_EN_SMALL}\s+hundred(?:\s+(?:and\s+)?{_EN_SMALL})?)"
_EN_BELOW_1000 = rf"(?:{_EN_HUNDREDS}|{_EN_SMALL})"
_EN_COMPOUND = re.compile(rf"\b(?:{_EN_BELOW_1000}\s+thousand(?:\s+(?:and\s+)?{_EN_BELOW_1000})?|{_EN_HUNDREDS}"
                          rf"|(?:{_of(_EN, 20, 90)})-(?:{_of(_EN, 1, 9)}))\b", re.IGNORECASE)

# A single number word, or one fused to a duration ("driedaags", "three-day", "tweejarige"); "één"/"one"
# only before a unit ("one of them" is no number; "een" is mostly "a"). Halves: "half", "halfuur".
_SINGLE = {**{w: str(v) for w, v in (_NL | _EN).items() if v > 1},
           "anderhalf": "1.5", "anderhalve": "1.5", "half": "0.5", "halve": "0.5", "helft": "0.5"}
_UNIT = (r"(dag|dagen|week|weken|maand|maanden|jaar|jaren|uur|uren|minuut|minuten|keer|procent|meter|kilometer"
         r"|day|days|week|weeks|month|months|year|years|hour|hours|minute|minutes|time|times|percent|metres?|meters?)")
_FUSED = r"daags|daagse|jarig|jarige|weeks|weekse|maands|maandse|urig|urige"
_WORD_NUMBER = re.compile(rf"\b({_alternatives(list(_SINGLE))})(?=\b|-|{_FUSED})|\b(half)(?=uur|jaar)"
                          rf"|\b(één|one)(?=[\s-]{_UNIT}\b|{_FUSED})", re.IGNORECASE)
# "one and a half" and "an hour and a half" are "anderhalf" (1.5); "half an hour" is not
_ONE_AND_A_HALF = re.compile(r"\b(?:one|an?\s+\w+)\s+and\s+a\s+half\b", re.IGNORECASE)
_HALVED = re.compile(r"\b(?:ge)?halve(?:ren|ert|erd|ring|ringen)\b|\bhalv(?:ed|es|ing)\b", re.IGNORECASE)  # by half

# Clock times: "19.00 uur", "om 7.30", "7:30", "7 a.m.", "7.30 pm". Two digits after a dot read as
# minutes ("20.00", however the model copied it from „om 20.00 uur”), but not before an amount's unit
# or after a currency sign ("7.50 euro", "€ 7.50"): an amount with a decimal comma („7,50”) stays a
# number. An hour past 24 or a minute past 59 is no time.
_NOT_AMOUNT = r"(?!\s*(?:euro|eur|dollar|procent|percent|%|miljoen|miljard|million|billion|kilo|ton|meter|km)\b)"
_CLOCK = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2})|\.(?P<m2>\d{2}))?\s*(?P<half>[ap])\.?\s?m\b\.?"
    r"|\b(?P<h3>\d{1,2}):(?P<m3>\d{2})\b"
    r"|(?<![€$£.,\d])(?<![€$£] )\b(?P<h4>\d{1,2})\.(?P<m4>\d{2})\b(?![.,]\d)" + _NOT_AMOUNT,
    re.IGNORECASE)

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def _plain(digits: str) -> set[str]:
    """"2,300", "2.300" -> {"2300"}; "6,5" -> {"6.5"}; "1.234.567" -> {"1234567"}; "0,125" -> {"0.125"};
    a date or a mixed form, "14.11.2023", "12,345.67": each part, as on the other side."""
    head, *groups = re.split(r"[.,]", digits)
    if groups and all(len(g) == 3 for g in groups) and head != "0":
        return {head + "".join(groups)}
    if len(groups) > 1:
        return {head, *groups}
    return {head + ("." + groups[0] if groups else "")}


def _value(words: list[str], values: dict[str, int]) -> int:
    """The value of number words in a row ("twee", "honderd", "vijf", "en", "twintig"; "two", "hundred")."""
    total = current = 0
    for word in words:
        value = values.get(word.lower())
        if value is None:  # "en", "ën", "and"
            continue
        if value == 1000:
            total, current = total + (current or 1) * 1000, 0
        elif value == 100:
            current = (current or 1) * 100
        else:
            current += value
    return total + current


def _clock(m: re.Match[str]) -> str | None:
    hour = int(m["h"] or m["h3"] or m["h4"])
    minute = int(m["m"] or m["m2"] or m["m3"] or m["m4"] or 0)
    half = (m["half"] or "").lower()
    if half == "p" and hour < 12:
        hour += 12
    elif half == "a" and hour == 12:
        hour = 0
    return f"{hour}:{minute:02d}" if hour <= 24 and minute <= 59 else None


def _taken(pattern: re.Pattern[str], text: str, value: Callable[[re.Match[str]], str | None]) -> tuple[set[str], str]:
    """The values of ``pattern``'s matches in ``text``, and ``text`` without them; a match whose value
    is None ("99.99 uur" is no time) is left in ``text``, to be read as digits."""
    found: set[str] = set()

    def take(m: re.Match[str]) -> str:
        v = value(m)
        if v is None:
            return m.group()
        found.add(v)
        return " "

    return found, pattern.sub(take, text)


def _dutch(m: re.Match[str]) -> str | None:
    parts = _NL_PARTS.findall(m.group())
    return str(_value(parts, _NL)) if len(parts) > 1 else None  # a single word: ``_WORD_NUMBER``'s


@functools.lru_cache(maxsize=4096)
def numbers(text: str) -> frozenset[str]:
    """The numbers in ``text`` in one form (the module's docstring): "2.300 mensen" -> {"2300"},
    "drieëntwintig tuinen" -> {"23"}, "om 19.00 uur" -> {"19:00"}, "at 7 p.m." -> {"19:00"}. Cached:
    the citation check reads the same sentences for every answer sentence it checks."""
    found: set[str] = set()
    for pattern, value in ((_CLOCK, _clock), (_ONE_AND_A_HALF, lambda m: "1.5"),
                           (_EN_COMPOUND, lambda m: str(_value(re.findall(r"[a-z]+", m.group().lower()), _EN)))):
        more, text = _taken(pattern, text, value)
        found |= more
    if _HALVED.search(text):
        found.add("0.5")
    for pattern, value in ((_NL_COMPOUND, _dutch), (_WORD_NUMBER, lambda m: _SINGLE.get(m.group().lower(), "1"))):
        more, text = _taken(pattern, text, value)
        found |= more
    return frozenset(found | {n for digits in _DIGITS.findall(text) for n in _plain(digits)})
