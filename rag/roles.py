"""Who holds a role: "Who is the mayor of Valkenburg?" answered by „…, zei burgemeester Marjolein
Keulers van Valkenburg aan de Geul”.

News names people by their role, as an apposition: "burgemeester Marjolein Keulers", "Directeur
Sjoerd Hoogland van het IMG", "Ned Price, woordvoerder van het State Department". The 1.5B judge
says no to such sentences when asked who holds the role (P 0.07 for the mayor, 0.14 for the
director: the sentence is about something the person said, not about the role), so code decides:
a "who" question that asks for a role holder (``asked_roles``) is answered by a sentence that puts
one of the role's words, Dutch or English, right before a name (or a name, a comma and the role)
and that itself names everything else the question names, or writes it by its initials
(``names_holder``). Without the second test "Who chairs the KNVB licensing committee?" would take
any chair.

What this leaves out: judging (``rag.decide``), and roles outside the list (a closed class in news,
kept short on purpose: each word is one an article writes right before a name).
"""

from __future__ import annotations

import re

from rag.names import fold, mentions, name_words, question_names

_HEADS = ("voorzitter", "voorzitster", "directeur", "dijkgraaf", "burgemeester", "leider", "topman", "topvrouw",
          "hoofd", "baas", "president", "premier", "minister-president")
_SPOKES = ("woordvoerder", "woordvoerster", "spokesman", "spokeswoman", "spokesperson")
_CHAIRS = ("voorzitter", "voorzitster", "chair", "chairman", "chairwoman", "chairperson")
# a word of the question -> the words an article may write before the holder's name
ROLES: dict[str, tuple[str, ...]] = {
    "burgemeester": ("burgemeester",), "mayor": ("burgemeester", "mayor"),
    "directeur": ("directeur",), "director": ("directeur", "director"),
    **{word: _SPOKES for word in _SPOKES},
    **{word: _CHAIRS for word in _CHAIRS}, "chairs": _CHAIRS,
    "wethouder": ("wethouder",), "alderman": ("wethouder", "alderman"),
    "dijkgraaf": ("dijkgraaf",), "president": ("president",), "premier": ("premier", "minister-president"),
    "minister": ("minister",),
    "bondscoach": ("bondscoach",), "coach": ("coach", "bondscoach", "trainer"), "trainer": ("trainer", "coach"),
    "oprichter": ("oprichter", "oprichtster"), "founder": ("oprichter", "oprichtster", "founder"),
    "eigenaar": ("eigenaar",), "owner": ("eigenaar", "owner"),
    "onderhandelaar": ("onderhandelaar",), "negotiator": ("onderhandelaar", "negotiator"),
    "hoofd": _HEADS, "head": _HEADS, "heads": _HEADS, "leidt": _HEADS, "leads": _HEADS,
    "leider": _HEADS, "leader": _HEADS,
}
_WHO = re.compile(r"^\s*(wie|who)\b", re.IGNORECASE)
_NAME = r"[A-Z][\w'’-]+(?:\s+(?:(?:van|de|der|den|ter|ten)\s+)*[A-Z][\w'’-]+)+"  # two or more words: a person


def asked_roles(question: str) -> tuple[str, ...]:
    """The words an article may use for the role a "who" question asks the holder of ("Who is the
    mayor of …?" -> burgemeester, mayor); () for any other question."""
    if not _WHO.search(question):
        return ()
    found = {role for word in re.findall(r"[\w-]+", question.lower()) for role in ROLES.get(word, ())}
    return tuple(sorted(found))


def names_holder(question: str, sentence: str) -> bool:
    """Does ``sentence`` name the holder of the role ``question`` asks about: a role word right before
    a name of two or more words, or such a name, a comma and the role ("Ned Price, woordvoerder van
    …"), while it names all the question names too ("Valkenburg aan de Geul", "IMG")? The sentence
    itself, not its passage: a passage about Kazakhstan that names Russia holds "president
    Kassym-Jomart Tokajev", who is no answer to "Who is the president of Russia?"."""
    roles = asked_roles(question)
    if not roles:
        return False
    role = "(?i:" + "|".join(map(re.escape, roles)) + ")"  # any case ("Directeur Sjoerd …"); the name capitalised
    if not (re.search(rf"\b{role}\s+{_NAME}", sentence) or re.search(rf"{_NAME},\s+(?:\w+\s+)?{role}\b", sentence)):
        return False
    said = name_words(sentence)
    # a name of three or more words the sentence writes by its initials counts as named, every word of it
    initialled = {word for run in _runs(question) if fold(_initials(run)) in said for word in fold(run).split()}
    return all(name in initialled or mentions(said, {name}) for name in question_names(question))


def _runs(question: str) -> list[str]:
    """The question's names of three or more capitalised words ("Instituut Mijnbouwschade Groningen")."""
    return re.findall(r"[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){2,}", question)


def _initials(run: str) -> str:
    """"Instituut Mijnbouwschade Groningen" -> "IMG", as an article writes it after its first mention."""
    return "".join(word[0] for word in run.split())
