"""What kind of answer a question asks for, and whether a sentence holds one.

"Hoe heet de hackersgroep …?" asks for a name, "Hoe laat …?" for a clock time, "Hoe lang …?" for a
duration, "Hoeveel …?" / "How many …?" for a number, "Op welke dag …?" for a day or date, "Tot
wanneer …?" for a date or an end, and "Wat zei Qin Gang …?" for words someone said. The
1.5B judge says yes to a sentence about the right thing that lacks the detail asked for ("Op een forum
beweert een hackersgroep dat zij 400 gigabyte heeft gestolen" for the group's name, "een systeembeheerder
van de nachtdienst" for his name): such a sentence cannot answer, whatever the model thinks, and
``rag.chain`` does not let the judge see it. Both tests are lenient on purpose: a question is given a
kind only by an unmistakable question word, and a sentence holds a number if it has any digit or
number word, a name if it has any capitalised word the question lacks, someone's words if it has a
quotation or any form of a verb of saying. ``next_holds`` tells when the sentence after the chosen
one holds the detail asked for (a name, a date, a sum, the month named) that the chosen one lacks.
"""

from __future__ import annotations

import re

from rag.dates import DAY_NAMES, MONTH_NAMES, calendar_names, years_of
from rag.keyword import stopwords
from rag.names import mentions, name_words, question_names, spellings
from rag.numbers import numbers
from rag.roles import ROLES

_I = re.IGNORECASE
# "drie kwartier" / "een halfuur" is a duration too (found trying a new article as a user would)
_UNITS = (r"(seconde|seconden|minuut|minuten|kwartier|halfuur|uur|uren|dag|dagen|week|weken|maand|maanden|jaar|jaren|seizoen"
          r"|seizoenen|eeuw|eeuwen|etmaal|etmalen|nacht|nachten|second|seconds|minute|minutes|hour|hours|day|days"
          r"|week|weeks|month|months|year|years|season|seasons|decade|decades|century|centuries|night|nights)")
_LENGTHS = r"(meter|meters|metres|kilometer|kilometers|kilometres|km|mijl|miles?|centimeter|cm)"

# What holds words without being someone: "what does the report say?" asks what it holds.
_TEXTS = (r"(artikel|artikelen|bericht|tekst|nieuws|verhaal|wet|wetten|rapport|onderzoek|studie|cijfers|uitspraak"
          r"|verordening|regels|regeling|plan|akkoord|verdrag|peiling|enquête|article|articles|report|text|story|news"
          r"|law|laws|study|survey|poll|figures|data|ruling|act|rules|bill|treaty|agreement|deal|statement|letter)")

# Things known by their names: a question for one of them is answered by a name.
_NAMED_NL = (r"partij|partijen|fractie|provincie|provincies|stad|steden|dorp|dorpen|gemeente|gemeenten|land|landen"
             r"|universiteit|universiteiten|hogeschool|fabrikant|verzekeraar|verzekeraars|luchtvaartmaatschappij"
             r"|bouwbedrijf|bedrijf|bedrijven|hotel|krant|kranten|vakblad|vakbladen|tijdschrift|tijdschriften|club|clubs"
             r"|ziekenhuis|rechtbank|advocaat|bank|merk|ministerie|organisatie|vakbond|school|supermarkt|rivier|straat"
             r"|wijk|museum|musea")
_NAMED_EN = (r"party|parties|province|provinces|city|cities|village|villages|town|towns|municipality|country|countries"
             r"|university|universities|manufacturer|insurer|insurers|airline|company|companies|firm|hotel|newspaper"
             r"|newspapers|journal|journals|magazine|magazines|club|clubs|hospital|court|lawyer|bank|brand|ministry"
             r"|organisation|organization|union|school|supermarket|river|street|neighbourhood|neighborhood|museum|museums")
# Words between "which" and the noun that make it no question for a role or a named thing: "what did
# alderman Donkers promise", "what kind of party"
_NOT_A_ROLE_QUESTION = (r"did|does|do|is|was|were|are|has|have|had|will|would|can|could|should|must|may|might|heeft|hebben"
                        r"|zijn|waren|deed|deden|kan|kon|zal|zou|moet|mag|kind|soort")
_NOT_A_KIND = _NOT_A_ROLE_QUESTION + r"|kinds|type|sort|the|a|an|de|het|een|to|te"  # "What caused the bank to collapse?"

# The kind of answer, by the question's words; the first match counts (a duration before a number:
# "hoeveel dagen" asks how long).
ASKS: list[tuple[str, re.Pattern[str]]] = [
    ("time", re.compile(r"\bhoe laat\b|\bom welk tijdstip\b|\b(at )?what time\b", _I)),
    ("duration", re.compile(rf"\bhoe lang\b|\bhow long\b|\b(hoeveel|how many) {_UNITS}\b"
                            r"|\bfor how many\b|\bbinnen welke termijn\b", _I)),
    ("number", re.compile(r"\bhoeveel\b|\bhow (many|much)\b|\bwelk (percentage|bedrag|aantal)\b"
                          r"|\bwhat (percentage|share|number|amount)\b", _I)),
    ("day", re.compile(r"\b(op )?welke (dag|datum)\b|\b(on )?(which|what) (day|date)\b"
                       r"|\b(in )?welke maand\b|\b(in )?(which|what) month\b|\b(in )?welk jaar\b"
                       r"|\b(in )?(which|what) year\b", _I)),
    # "tot wanneer / until when" asks how long something lasts or since when: a date, or an event that
    # bounds it ("tot en met 31 augustus", "tot de nieuwe brug klaar is", "sinds de hittegolf"). A
    # plain "wanneer" may be answered by any event ("na de verkiezingen") and gets no kind.
    ("until", re.compile(r"(^|[,;:]\s*|\b(en|and)\s+)(tot|sinds|vanaf|uiterlijk|until|till|since|by) (wanneer|when)\b", _I)),
    ("name", re.compile(r"\bhoe (heet|heten|heette|heetten)\b|\b(wat is|wat was) de naam\b|\bwelke naam\b"
                        r"|\bwhat (is|was|are|were) the names?\b|\bwhat'?s the name\b|\bwhat is (it|he|she|they) called\b"
                        r"|\bunder what name\b|\bonder welke naam\b", _I)),
    # "Wat zei Qin Gang op de G20?", "What did he say about …?" asks for words someone said: a sentence
    # that only places him there („… waar ook Qin Gang zal zijn”) holds none. The question must ask
    # what was said ("Hoe reageerde …" may be answered by a deed, „deed het af als …”), and by someone:
    # "Wat zegt het rapport / de wet / dat …?" asks what a text or a fact holds ("Het rapport
    # concludeert …"), found in review.
    ("said", re.compile(rf"\bwat (zei|zegt|zeiden|zeggen|verklaarde|verklaart|schreef|schrijft|twitterde|antwoordde)\b"
                        rf"(?!\s+(dat|dit)\b)(?!\s+(\w+\s+){{0,3}}{_TEXTS}\b)"
                        rf"|\bwhat (did|does|do) (?!(this|that) say\b)(?!(\w+\s+){{0,3}}{_TEXTS}\b)"
                        r"\w+(\W+\w+){0,6}?\W+(say|tell|state|write|tweet|answer)\b", _I)),
]

# "Welke partij …?", "Which university …?", "In welk land …?": a class of things known by their names,
# so a name answers ("named": read leniently, ``_names_something``). Not "welke partij D66 …" (the name
# is given), "what kind of party", nor an English class word that qualifies the noun after it ("Which
# court ruling …?", "What city council decision …?"; Dutch writes those as one word).
_WHICH_NAMED = re.compile(rf"\b(welke?|which|what)\s+((?!({_NOT_A_KIND})\b)\w+\s+){{0,2}}?"
                          rf"(?P<noun>{_NAMED_NL}|{_NAMED_EN})\b(?!\s+(?-i:[A-ZÀ-Ö]))", _I)
_NEXT_WORD = re.compile(r"\s+([a-z]+)\b")
_EN_AFTER = re.compile(r"(is|was|are|were|did|does|do|has|have|had|will|would|can|could|should|must|may|might|in|of|for"
                       r"|to|from|on|at|by|with|that|which|who|whose|where|when|and|or|not|now|still|first|then|went|made"
                       r"|took|gave|won|lost|got|became|sold|bought|paid|built|left|ran|said|told|found|kept|held|brought"
                       r"|chose|fell|led|makes|owns|runs|builds|supplies|leads|plays|wants|gets|pays|sells|operates|manages"
                       r"|belongs|says|\w+ed)$")  # not any word in -s: "Which court rulings …" (review)


def _asks_named(question: str) -> bool:
    """Does ``question`` ask which party, country, company, … (``_WHICH_NAMED``)?"""
    found = _WHICH_NAMED.search(question)
    if found is None:
        return False
    after = _NEXT_WORD.match(question, found.end())
    english = found.group(1).lower() in ("which", "what")  # "welke bank ging …" is Dutch, one word or not
    return not english or after is None or bool(_EN_AFTER.match(after.group(1)))


_NUMBER_WORDS = (r"één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|veertien|vijftien"
                 r"|zestien|zeventien|achttien|negentien|twintig|dertig|veertig|vijftig|zestig|zeventig|tachtig"
                 r"|negentig|honderd|honderden|duizend|duizenden|miljoen|miljoenen|miljard|miljarden|tientallen"
                 r"|dozijn|half|halve|helft|anderhalf|kwart|procent|geen|niets|niemand|alle|allemaal|enkele|paar"
                 r"|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fifteen|twenty|thirty"
                 r"|forty|fifty|sixty|seventy|eighty|ninety|hundred|hundreds|thousand|thousands|million|millions"
                 r"|billion|billions|dozen|dozens|tens|half|quarter|percent|none|nothing|nobody|no one|all|several|few")
_NUMBER = re.compile(rf"\d|\b({_NUMBER_WORDS})\b|\w+(tig|tien|honderd|duizend)\b", _I)
_CLOCK = re.compile(r"\b\d{1,2}[.:]\d{2}\b|\b(\d{1,2}|één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf"
                    r"|half \w+) uur\b|\bmiddernacht|\bmidnight\b|\bnoon\b|\bo'clock\b|\b[ap]\.?m\.?(?=\W|$)"
                    r"|'s (ochtends|morgens|middags|avonds|nachts)\b|\b(ochtend|middag|avond|nacht)\b"
                    r"|\b(morning|afternoon|evening|night)\b", _I)
# A duration is also a compound adjective: "het driedaagse bezoek", "een tweejarig contract", "a three-day visit".
_DURATION = re.compile(rf"\b{_UNITS}\b|\b{_LENGTHS}\b|\b(sinds|since|tot en met|until|lang|long)\b"
                       r"|\w+(daags|daagse|weeks|weekse|jarig|jarige|maands|maandse|urig|urige)\b"
                       rf"|\w+-{_UNITS}\b", _I)
_DAY = re.compile(r"\b(" + "|".join(DAY_NAMES["nl"] + DAY_NAMES["en"] + MONTH_NAMES["nl"] + MONTH_NAMES["en"])
                  + r")\b|\b(19|20)\d{2}\b|\b\d{1,2}[-/]\d{1,2}\b|\b(gisteren|vandaag|morgen|eergisteren|overmorgen"
                  r"|yesterday|today|tomorrow|vorige week|last week|weekend)\b", _I)
_BOUND = re.compile(r"\b(tot|sinds|vanaf|uiterlijk|until|till|since|zomer|winter|voorjaar|najaar|herfst|summer"
                    r"|autumn)\b", _I)
# Words someone said: a quotation (``_QUOTATION``: „…” or "…", or ‘…’ of two words or more, „de
# ‘Amerikaanse trammelantmakerij’”; not the apostrophe of "zo’n", nor one word in single scare quotes,
# "het traditionele ‘product’ van een top", which the model made Qin Gang's words for "What did Qin
# Gang say to Lavrov …?", found asking new questions as a user would), a verb of saying in any form
# (the stems: "vond", "vonden", "gevonden"; "uitte kritiek"), or "volgens"/"aldus"/"according to".
# Lenient on purpose, as the other tests here ("vond plaats" passes).
_SAYS = re.compile(r"\b(zeg|zegt|zei|gezegd|noem|genoemd|verklaar|stel|gesteld|meld|gemeld|schr[ij]+f|schreef|geschreven"
                   r"|benadruk|onderstreep|waarschuw|vind|vond|gevonden|meen|meent|meende|denk|dacht|gedacht|beweer"
                   r"|reageer|twitter|antwoord|sprak|gesproken|beloof|erken|ontken|verwe|riep|geroepen|pleit|hoop"
                   r"|vrees|wijst|wees|gewezen|kondig|aangekondigd|aldus|volgens|liet|laat|gaf aan|geeft aan"
                   r"|uit(te|ten)\b|geuit|kritiek\b|critici"
                   r"|sa(id|ys?)|told|tells?|call(s|ed)?|stat(es|ed)|according|warn|wr(ote|ites?)|add(s|ed)|promis"
                   r"|den(y|ied|ies)|admit|argu|urg|claim|announc|insist|think|thought|believ)\w*", _I)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# A question for a reason. News states a claim and gives its reason in the sentence after it („Maar
# vandaag heeft Poetin Xi vooral nodig. Nu de banden met het Westen onder het vriespunt zitten, zoekt
# de Russische leider … steun in het Oosten.”): on the tune set, the gold sentence of 5 of 7 "why"
# questions is the sentence after one of the two most relevant ones, so ``rag.chain`` phrases from the
# sentence after the one it chose too.
_WHY = re.compile(r"\b(waarom|why|how come|hoe komt het dat|om welke redenen?|for what reasons?"
                  r"|(wat|what) (is|was|zijn|waren|are|were) (de|the) (reden|redenen|reason|reasons))\b", _I)
_WHO = re.compile(r"\b(wie|who|whom)\b", _I)
_QUOTED = re.compile(r"[„“\"‘'].{2,}?[”\"’']")
_QUOTATION = re.compile(r"[„“\"].{2,}?[”\"]|(?<![\w’'])[‘'](?=\S)[^‘’'\s]*\s[^‘’']*?[’'](?!\w)")
# A sentence inside a quotation of several sentences holds words someone said without both marks:
# „Grote Amerikaanse techbedrijven hebben hele afdelingen vol juristen. | Wij hebben er nul.” (its
# first sentence had been taken for one without anyone's words: "Wat zei ze over de grote
# Amerikaanse techbedrijven?" was answered with another sentence).
_IN_QUOTATION = re.compile(r"^\W*[„“\"]|(?<!\d)[”\"]\W*$")  # not an inch mark: "27\"."


def asks_for(question: str) -> str | None:
    """The kind of answer ``question`` asks for: "time", "duration", "number", "day", "until", "name",
    "said", or "named" (which party, country, company, …: ``_asks_named``); None for any other
    question (who, what, why, where, …)."""
    kind = next((kind for kind, words in ASKS if words.search(question)), None)
    return kind or ("named" if _asks_named(question) else None)


def asks_why(question: str) -> bool:
    """Does ``question`` ask for a reason ("Waarom …?", "Why …?", "What was the reason …?")?"""
    return bool(_WHY.search(question))


# A sentence that gives a reason itself: „Moskou riep zijn ambassadeur terug, nadat Biden Poetin een
# ‘moordenaar’ had genoemd.” Given the next sentence too, the model took its reason from there ("…
# because Biden had criticized Putin for … elections": the real-model test). "daarom"/"therefore"
# point back to a reason; they give none.
_BECAUSE = re.compile(r"\b(omdat|doordat|want|wegens|vanwege|dankzij|nadat|aangezien|because|due to|owing to"
                      r"|thanks to|after|since)\b", _I)


def gives_reason(sentence: str) -> bool:
    """Does ``sentence`` give a reason of its own ("…, nadat …", "… because …")?"""
    return bool(_BECAUSE.search(sentence))


def _has_name(sentence: str, question: str) -> bool:
    asked = {w.lower() for w in _WORD.findall(question)}
    words = _WORD.findall(sentence)
    return bool(_QUOTED.search(sentence)) or any(
        w[0].isupper() and w.lower() not in asked for w in words[1:])


# A sentence that opens with a pronoun names whom it is about in the sentence before it.
_OPENS_WITH_PRONOUN = re.compile(r"^\W*(hij|zij|ze|hem|haar|he|she|they|him|her)\b", _I)


# A name as written: capitalised words, joined by the small words inside names ("Universiteit van
# Harderwold", "Pieter de Vries", "Bank of England").
_NAME_RUN = re.compile(r"[A-ZÀ-Ö][\w'’-]*(?:\s+(?:(?:van|de|der|den|ter|ten|het|of|the|for)\s+)*[A-ZÀ-Ö][\w'’-]*)*")


def _names_something(sentence: str, question: str) -> bool:
    """Does ``sentence`` name something ``question`` does not: a quotation, a capitalised word the
    question lacks (at the start too: „Rusland leverde …”; "Universiteit Twente" is new to "welke
    universiteit", "Poetin Xi" to a question about Poetin) unless it comes before a name the question
    names, in one name ("Maarten Olthof", "Universiteit van Harderwold" for a question about
    Olthof in Harderwold), or a pronoun opening it (it names in the sentence before)? A capitalised
    word that is a function word, a day or a month is no name; an opening common noun ("Onderzoekers
    …") is taken for one: lenient on purpose."""
    if _QUOTED.search(sentence) or _OPENS_WITH_PRONOUN.match(sentence):
        return True
    asked = {w.lower() for w in _WORD.findall(question)}
    names = {w.lower() for w in _WORD.findall(question) if w[0].isupper()}
    for run in _NAME_RUN.findall(sentence):
        words = [w.lower() for w in run.split()]
        # the words up to a name the question names are that name's ("Maarten Olthof", "Universiteit van
        # Harderwold"); a capitalised word after it is another name ("Poetin Xi")
        own = max((i for i, w in enumerate(words) if w in names), default=-1)
        # … but a party or an acronym before it is a name of its own ("VVD-wethouder Hofstede", "CDA-Kamerlid X")
        if any(_new_word(w, asked) for w in run.split()[own + 1:]) or any(
                _new_word(w, asked) and w.split("-")[0].isupper() for w in run.split()[:own + 1]):
            return True
    return False


def _new_word(word: str, asked: set[str]) -> bool:
    """Is ``word`` capitalised, no function word, day or month, and not one of the ``asked`` words?"""
    low = word.lower()
    return word[0].isupper() and low not in asked and low not in stopwords() and low not in _NOT_NAMES \
        and not calendar_names(word)


def holds(kind: str | None, sentence: str, question: str = "") -> bool:
    """Does ``sentence`` hold an answer of ``kind`` (``asks_for``)? A name is a capitalised word
    other than the first that ``question`` lacks, or a quoted term."""
    if kind is None:
        return True
    if kind == "name":
        return _has_name(sentence, question)
    if kind == "named":
        return _names_something(sentence, question)
    if kind == "said":
        return bool(_QUOTATION.search(sentence) or _IN_QUOTATION.search(sentence) or _SAYS.search(sentence))
    if kind == "until":  # a date, or the event that bounds it
        return bool(_DAY.search(sentence) or _BOUND.search(sentence))
    if kind == "number":
        return bool(_NUMBER.search(_without_numbers_of(sentence, question)))
    test = {"time": _CLOCK, "duration": _DURATION, "day": _DAY}[kind]
    return bool(test.search(sentence))


# A number the question names is not the number it asks for: "Hoeveel stemmen kreeg het
# VVD-amendement om 2800 woningen te bouwen?" is not answered by „Een amendement van de VVD om het
# aantal woningen te verhogen tot 2800 haalde het niet” (judged 0.72, and answered), nor "Hoeveel
# verder … zijn de twee noordelijkste turbines gezet?" by the sentence that asked for it („… vroeg de
# provincie om de twee noordelijkste turbines verder van het dorp te plaatsen”: the new trial).
# A number with the scale word after it ("1,5 miljoen") is one number; "2.800" is 2800 (``numbers``).
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*(?:\s+(?:miljoen|miljard|million|billion)\b)?|\w+", re.UNICODE)


def _without_numbers_of(sentence: str, question: str) -> str:
    """``sentence`` without the numbers (digits or words, ``rag.numbers``) that ``question`` names."""
    # the question's numbers whole ("om 19.00 uur": 19:00) and word by word ("19.00"), as the sentence is read
    named = numbers(question) | {n for token in _TOKEN.findall(question) for n in numbers(token)}
    if not named:
        return sentence
    return _TOKEN.sub(lambda m: " " if (found := numbers(m.group())) and found <= named else m.group(), sentence)


def keeps(question: str, said: list[str], source: str) -> bool:
    """Does the model's wording ``said`` (its checked sentences) keep the answer that ``source``, the
    sentence chosen as answering ``question``, holds? The 1.5B model words the facts around it and
    leaves the answer out: "De woordvoerder van het State Department zei dat …" for "Wie is de
    woordvoerder?" when the sentence names Ned Price. The kind of answer (``asks_for``; a "who"
    question asks for a name here) must be in ``said`` when it is in ``source``; a name must be one of
    the source's, in any spelling ("Putin" for "Poetin"), that the question does not name."""
    kind = asks_for(question) or ("name" if _WHO.search(question) else None)
    kind = "name" if kind == "named" else kind
    if kind in (None, "said") or not said:  # words someone said may be reported without "zei"
        return True
    if kind != "name":
        return not holds(kind, source, question) or any(holds(kind, s, question) for s in said)
    asked = name_words(question)
    wanted = {n for n in question_names(source) if not mentions(asked, {n})}
    if not wanted:
        return True
    written = {spelled for word in name_words(" ".join(said)) for spelled in (word, *spellings(word))}
    return mentions(written, wanted)


# -- the next sentence holds what is asked -----------------------------------------------------------
# News sets a scene and gives the fact in the sentence after it: „Sindsdien staan er op schooldagen …
# verkeersregelaars bij de rotonde. | Dat kost de gemeente 2.400 euro per week.”, „Bewonersvereniging
# Kadewijk had bezwaar gemaakt tegen de vergunning. | De rechtbank Gelderland wees dat bezwaar in
# december 2025 af.” The judge takes the first for "Wat kosten de verkeersregelaars …?" and "Which
# court rejected the residents' objection, and when?"; the second, which points back to it, is never
# judged high alone. When the chosen sentence lacks what the question asks for and the next holds it,
# the answer is the two (``rag.chain``). What is asked: someone's name ("wie …?", "welke minister",
# "which court"), a date ("wanneer …?", "and when?"), an amount of money ("wat kost …?", "hoeveel
# geld", "how much did … cost?"), or the day or month the question names ("in May 2026"). The chosen
# sentence is read leniently (anything that may be the detail counts as held: a first word that may
# be a name, "vorige maand", "vier ton"), the next one strictly, so that the rule fires only when
# the second sentence plainly holds what the first plainly lacks.
_WHO_ASKS = re.compile(r"(^\W*|[,;:]\s*|\b(en|and|door|met|aan|voor|by|with|to|for)\s+)(wie|who|whom)\b", _I)
_ROLE_WORDS = "|".join(sorted({*ROLES, "rechter", "rechtbank", "court", "judge", "bedrijf", "company", "partij",
                               "party", "organisatie", "organisation", "organization", "aannemer", "contractor"}))
# "welke Chinese minister", not "what did alderman Donkers promise" nor "what will the company pay"
# (and not "welke maatregelen kondigde minister Keijzer aan?": the holder is named already)
_WHICH_ROLE = re.compile(rf"\b(welke?|which|what)\s+((?!({_NOT_A_ROLE_QUESTION})\b)\w+\s+){{0,2}}?({_ROLE_WORDS})\b"
                         r"(?!\s+(?-i:[A-ZÀ-Ö]))", _I)
# the question's own word, not a clause: "How many households was it to supply when it was approved?",
# "When the storm hit, how many homes lost power?"
_WHEN_ASKS = re.compile(r"(^\W*|[,;:]\s*|\b(en|and|or|of)\s+)(wanneer|when)\b"
                        r"(?![^?]*,\s*(hoe|wat|wie|welke|waar|hoeveel|how|what|who|which|where)\b)", _I)
# an amount of money: not "Hoeveel huizen zijn minder waard geworden?" (a number of houses)
_AMOUNT_ASKED = re.compile(r"\b(hoeveel|how much)\s+(extra\s+|meer\s+|more\s+)?(geld|euro|money)\b"
                           r"|\bwat (kost|kostte|kosten|kostten)\b|\bwhat (does|did|do|will|would) (\w+\s+){0,4}cost\b"
                           r"|\bhoeveel\s+(kost|kostte|kosten|kostten|betaalt|betaalde|betaalden|krijgt|kreeg|kregen|is|was"
                           r"|zijn|waren|heeft|hebben|had)\b[^?]*\b(kost\w*|waard|betaald|geld)\b"
                           r"|\bhow much (does|did|do|will|would|is|was|are|were|has|have|had)\b[^?]*\b(cost|costs|worth|pay"
                           r"|paid|spend|spent|receive|received|get|got)\b", _I)
_MONEY = re.compile(r"€|\$|£|\b(euro|euros|dollar|dollars|pond|pound|pounds)\b", _I)
_SOME_AMOUNT = re.compile(r"\b(miljoen|miljard|ton|million|billion|mln|mld)\b", _I)
_SOME_DATE = re.compile(r"\b(vorige?|afgelopen|volgende?|komende?|last|next|this|dit|deze)\s+(week|maand|jaar|zomer"
                        r"|winter|voorjaar|najaar|herfst|month|year|summer|spring|autumn|fall)\b"
                        r"|\b(geleden|ago|gister\w*|eergister\w*|vanochtend|vanmorgen|vanmiddag|vanavond|vannacht|tonight"
                        r"|this (morning|afternoon|evening))\b|\bover (een|twee|drie|vier|\d+) (dagen|weken|maanden|jaar)\b", _I)
# capitalised words that open a sentence or a phrase but are no part of a name
_NOT_NAMES = {"volgens", "den", "the", "in", "on", "at", "by", "from", "to", "according", "op", "bij", "uit", "na", "sinds",
              "vanaf", "tijdens", "ook", "toch", "maar", "wel", "nu", "toen", "daarna", "intussen", "inmiddels", "meanwhile"}
_PERSON = re.compile(r"\b[A-ZÀ-Ö][\w'’-]+(?:\s+(?:(?:van|de|der|den|ter|ten)\s+)*[A-ZÀ-Ö][\w'’-]+)+")
_CAPITALISED = re.compile(r"\b[A-ZÀ-Ö][\w’'-]+")


def _details(question: str) -> list[str]:
    """What ``question`` asks a sentence to hold, for ``next_holds``."""
    wanted = []
    if _WHO_ASKS.search(question) or _WHICH_ROLE.search(question) or asks_for(question) in ("name", "named"):
        wanted.append("name")
    if _WHEN_ASKS.search(question):
        wanted.append("date")
    if _AMOUNT_ASKED.search(question):
        wanted.append("money")
    if calendar_names(question) and asks_for(question) is None:  # "in May 2026" as what is asked about,
        wanted.append("calendar")  # not "Hoeveel mensen kwamen in juli …?" (a number)
    return wanted


def _may_hold(detail: str, sentence: str, question: str) -> bool:
    """Might the chosen ``sentence`` hold ``detail``? Lenient: a capitalised first word that is no
    function word may be a name, any year, bound or relative date a date, "vier ton" an amount."""
    if detail == "name":
        first = _CAPITALISED.match(sentence.strip(" „“\"‘'"))
        named = first is not None and first.group().lower() not in stopwords() and \
            first.group().lower() not in {w.lower() for w in _WORD.findall(question)}
        return named or _has_name(sentence, question)
    dated = bool(_DAY.search(sentence) or _SOME_DATE.search(sentence) or calendar_names(sentence, within=True))
    if detail == "date":
        return dated or bool(_BOUND.search(sentence))
    if detail == "money":
        return bool(_MONEY.search(sentence) or _SOME_AMOUNT.search(sentence))
    return dated  # "calendar": any date of its own ("dinsdag" for a question about May) may be the one


def _plainly_holds(detail: str, sentence: str, question: str) -> bool:
    """Does the next ``sentence`` plainly hold ``detail``? Strict: a name of two words or more that
    the question lacks, a year that is no count ("2000 uur"), a whole day or month name (not "mei" in
    "meisje")."""
    if detail == "name":  # a name of two words or more ("Ruud Hendriks"; not "De VS", "Op Schiphol")
        asked = name_words(question)
        for found in _PERSON.findall(sentence):
            words = [w for w in found.split() if w.lower() not in stopwords() and w.lower() not in _NOT_NAMES
                     and not calendar_names(w)]
            if len([w for w in words if w[0].isupper()]) >= 2 and not mentions(asked, name_words(" ".join(words))):
                return True
        return False
    if detail == "date":
        return bool(years_of(sentence) or calendar_names(sentence) or _SOME_DATE.search(sentence))
    if detail == "money":
        return bool(_MONEY.search(sentence))
    return bool(calendar_names(question) & calendar_names(sentence))  # "calendar"


def next_holds(question: str, sentence: str, following: str) -> list[str]:
    """What ``question`` asks for ("name", "date", "money", "calendar": the day or month it names)
    that ``sentence``, the one chosen as its answer, lacks and ``following``, the sentence after it in
    its paragraph, holds. (The chain asks it of no yes/no question: its answer is the yes or the no;
    and of a why question only when the chosen sentence gives a reason itself, else the next sentence
    joins as the reason.)"""
    return [d for d in _details(question)
            if not _may_hold(d, sentence, question) and _plainly_holds(d, following, question)]


def holds_all(details: list[str], text: str, question: str) -> bool:
    """Does ``text`` (an answer's wording) hold every one of ``details`` (``next_holds``)?"""
    return all(_plainly_holds(d, text, question) for d in details)
