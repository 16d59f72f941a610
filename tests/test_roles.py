"""Role holders named by apposition (rag.roles), and the judgement they raise (rag.decide.with_holders)."""

from __future__ import annotations

import pytest

from rag.decide import HOLDER_P, Judgement, with_holders
from rag.roles import asked_roles, names_holder

MAYOR = "„Dit hebben we hier nog nooit meegemaakt”, zei burgemeester Marjolein Keulers van Valkenburg aan de Geul."


@pytest.mark.parametrize("question, roles", [
    ("Who is the mayor of Valkenburg aan de Geul?", ("burgemeester", "mayor")),
    ("Wie is de woordvoerder van het State Department?", ("spokesman", "spokesperson", "spokeswoman",
                                                          "woordvoerder", "woordvoerster")),
    ("Wat zei de burgemeester?", ()),  # not a "who" question
    ("Wie won de 1000 meter?", ()),  # no role asked
])
def test_a_who_question_asks_for_the_holder_of_the_roles_it_names(question, roles):
    assert asked_roles(question) == roles


@pytest.mark.parametrize("question, sentence", [
    ("Who is the mayor of Valkenburg aan de Geul?", MAYOR),
    ("Wie is de directeur van het IMG?", "Directeur Sjoerd Hoogland van het IMG zegt blij te zijn met het geld."),
    ("Wie is de woordvoerder van het ministerie?", "„Dat is onderdeel van een band”, aldus Ned Price, woordvoerder van het "
                                                   "Amerikaanse ministerie van Buitenlandse Zaken."),
    ("Wie is de dijkgraaf?", "„De dijken gaan voor”, zegt dijkgraaf Henriëtte Brinkhorst."),
    ("Wie is de directeur van het Instituut Mijnbouwschade Groningen?",  # the name by its initials
     "Directeur Sjoerd Hoogland van het IMG zegt blij te zijn met het geld."),
    ("Who is the president of Kazakhstan?", "In Astana, de hoofdstad van Kazachstan, had Blinken een ontmoeting met "
                                            "president Kassym-Jomart Tokajev."),  # the name in another spelling
])
def test_a_sentence_that_puts_the_role_before_or_after_a_name_names_the_holder(question, sentence):
    assert names_holder(question, sentence)


@pytest.mark.parametrize("question, sentence", [
    ("Wie is de burgemeester van Gulpen?", MAYOR),  # another town's mayor
    ("Wie is de burgemeester?", "De burgemeester is tevreden over het herstel."),  # no name
    ("Who chairs the KNVB licensing committee?", "De licentiecommissie van de KNVB heeft drie punten afgetrokken."),
    ("Wie is de burgemeester van Valkenburg?", "Burgemeester Keulers is tevreden."),  # one word: no full name
    ("Wie is de directeur van het Instituut Mijnbouwschade Groningen?", "Directeur Sjoerd Hoogland van het IMA zegt …"),
    # the question's names must be in the sentence itself: its passage may name them for another reason
    ("Who is the president of Russia?", "In Astana had Blinken een ontmoeting met president Kassym-Jomart Tokajev."),
])
def test_a_sentence_without_a_named_holder_of_that_role_does_not(question, sentence):
    assert not names_holder(question, sentence)


def test_a_named_holder_counts_as_judged_at_least_holder_p_and_the_rest_is_left():
    judged = with_holders(Judgement([0.05, 0.4, 0.9]), "Who is the mayor of Valkenburg aan de Geul?",
                          ["Het water steeg snel.", MAYOR, "Valkenburg stond blank."])
    assert judged.p_yes == [0.05, HOLDER_P, 0.9] and judged.holders == frozenset({1})
    assert with_holders(Judgement([0.2]), "Wat zei de burgemeester?", [MAYOR]).p_yes == [0.2]


def test_the_chain_answers_who_holds_a_role_that_the_judge_said_no_to(tmp_path):
    from tests.conftest import write_corpus
    from tests.fakes import recording_llm
    from tests.test_chain import bot_with

    corpus = write_corpus(tmp_path / "corpus", {"geul.txt": " date 2021-07 De Geul trad buiten haar oevers.\n\n" + MAYOR})
    llm = recording_llm("Marjolein Keulers is de burgemeester van Valkenburg aan de Geul [1].", yes=lambda s: 0.05)
    answer = bot_with(tmp_path, corpus, llm).ask("Wie is de burgemeester van Valkenburg aan de Geul?")
    assert not answer.abstained, answer.abstain_reason
    assert "Keulers" in answer.answer and [c["holder"] for c in answer.decision["candidates"] if "holder" in c] == [True]
