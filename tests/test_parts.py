"""Questions that ask two things are answered part by part (rag.parts, and the chain with fakes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer import NOT_ANSWERED
from rag.parts import split_question
from tests.conftest import write_corpus
from tests.fakes import recording_llm, yes_when
from tests.test_chain import bot_with


@pytest.mark.parametrize("question, parts", [
    ("Hoeveel regenbuffers lagen er in 2021 al, en hoeveel komen er bij?",
     ["Hoeveel regenbuffers lagen er in 2021 al?", "hoeveel komen er bij?"]),
    ("Who stood in for Oosterhof, and where did he finish?", ["Who stood in for Oosterhof?", "where did he finish?"]),
    ("Which medal did Iris Wolters win, and on which distance?", ["Which medal did Iris Wolters win?", "on which distance?"]),
    ("Welk verpleeghuis werd ontruimd en hoeveel bewoners had het?",
     ["Welk verpleeghuis werd ontruimd?", "hoeveel bewoners had het?"]),
    ("Hoeveel geld zegde Blinken toe, en waarvoor is het bedoeld?",
     ["Hoeveel geld zegde Blinken toe?", "waarvoor is het bedoeld?"]),
    ("Hoeveel woningen zou het vliegveld isoleren, en bij hoeveel is dat echt gebeurd?",
     ["Hoeveel woningen zou het vliegveld isoleren?", "bij hoeveel is dat echt gebeurd?"]),
])
def test_a_second_question_word_after_and_splits_the_question(question, parts):
    assert split_question(question) == parts


@pytest.mark.parametrize("question", [
    "Which Chinese foreign ministers are named in the 2021 and 2023 articles?",  # two dates, one question
    "What did Biden and Putin discuss?",
    "Hoe gaat het met Rusland en China?",
    "Wat zei hij, en waarom?",  # a one-word second part is not a question of its own
    "Did costs rise, and by how much?",  # "bij hoeveel" and "to how many" start a part, not any "… how"
])
def test_a_question_that_asks_one_thing_stays_whole(question):
    assert split_question(question) == [question]


Q_PARTS = "Hoeveel geld zegde Blinken toe, en welk gebied bezocht hij?"
Q_TWO = "Wat zei Biden in 2021 over Poetin, en hoeveel geld zegde Blinken in 2023 toe?"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    from tests.test_chain import ARTICLES

    return write_corpus(tmp_path / "corpus", ARTICLES)


def test_each_part_gets_its_own_evidence_and_both_are_cited(tmp_path, corpus):
    llm = recording_llm("Biden noemde Poetin een moordenaar [1]. Blinken zegde 25 miljoen dollar extra toe [2].",
                        yes=yes_when("moordenaar", "25 miljoen"))
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_TWO)
    assert not answer.abstained
    assert [p["part"] for p in answer.decision["parts"]] == [
        "Wat zei Biden in 2021 over Poetin?", "hoeveel geld zegde Blinken in 2023 toe?"]
    assert [p["asked"] for p in answer.decision["parts"]] == [p["part"] for p in answer.decision["parts"]]
    assert "asked" not in answer.decision  # each part was judged on its own
    assert {c.doc_id for c in answer.citations} == {"lavrov", "blinken"}
    phrased = llm.seen[-1][-1].text  # the phrasing prompt holds one sentence of each article
    assert "moordenaar" in phrased and "25 miljoen" in phrased


def test_a_part_the_model_leaves_out_is_quoted(tmp_path, corpus):
    llm = recording_llm("Biden noemde Poetin een moordenaar [1].", yes=yes_when("moordenaar", "25 miljoen"))
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_TWO)
    assert {c.doc_id for c in answer.citations} == {"lavrov", "blinken"}
    assert "Volgens het artikel: „Hij zegde de regio 25 miljoen dollar extra toe" in answer.answer


def test_a_part_no_sentence_answers_is_said_to_be_unanswered_not_invented(tmp_path, corpus):
    llm = recording_llm("Biden noemde Poetin een moordenaar [1].", yes=yes_when("moordenaar"))
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_TWO)
    assert [c.doc_id for c in answer.citations] == ["lavrov"]
    assert "25 miljoen" not in answer.answer
    assert answer.answer.endswith("Op „hoeveel geld zegde Blinken in 2023 toe?” geven de artikelen geen antwoord.")
    assert answer.sentences[-1].note == NOT_ANSWERED and answer.sentences[-1].citations == []


def test_extractive_mode_gives_one_sentence_per_part(tmp_path, corpus):
    answer = bot_with(tmp_path, corpus, k=4).ask(Q_TWO)
    assert {c.doc_id for c in answer.citations} == {"lavrov", "blinken"}


def test_one_sentence_that_answers_both_parts_is_quoted_alone(tmp_path, corpus):
    """Not joined by the next best sentence, which answers neither part; and quoted, since a wording
    of it may keep one part only."""
    llm = recording_llm("Lavrov bezocht China [1].", yes=yes_when("Wang Yi"))
    answer = bot_with(tmp_path, corpus, llm, k=4).ask("Welk land bezocht Lavrov, en wie bezocht hij daar?")
    assert [p["p_best"] for p in answer.decision["parts"]] == [0.95, 0.95]
    assert all(m[-1].text.rstrip().endswith("Yes or No:") for m in llm.seen)  # judged, never asked to word it
    assert answer.answer.startswith("Volgens het artikel: „Lavrov bezocht Wang Yi in China.” [")
    assert [(c.doc_id, c.quote) for c in answer.citations] == [("lavrov", "Lavrov bezocht Wang Yi in China.")]


def test_a_part_whose_best_sentence_is_in_the_answer_is_not_said_to_be_unanswered(tmp_path, corpus):
    """The judge doubts that the sentence answers the second part too, but it is the part's best: the
    answer shows it, and must not say beside it that the articles do not answer that part."""
    llm = recording_llm("Lavrov bezocht Wang Yi in China [1].")
    llm.yes_for = lambda question, sentence: 0.95 if "Wang Yi" in sentence and "wie" not in question else 0.2
    answer = bot_with(tmp_path, corpus, llm, k=4).ask("Welk land bezocht Lavrov, en wie bezocht hij daar?")
    assert [p["p_best"] for p in answer.decision["parts"]] == [0.95, 0.2]
    assert [s.text for s in answer.sentences] == ["Volgens het artikel: „Lavrov bezocht Wang Yi in China.”."]


def test_a_part_that_names_nothing_keeps_to_the_articles_about_what_the_question_names(tmp_path):
    corpus = write_corpus(tmp_path / "bridges", {
        "brug.txt": " date 2024-05 De versterking van de Waalbrug kost 310 miljoen euro.\n\n"
                    "Daarvan komt 280 miljoen van het Rijk.",
        "dijk.txt": " date 2024-06 Voor de nieuwe dijk in Zeeland betaalt het Rijk het meeste van de kosten."})
    answer = bot_with(tmp_path, corpus, k=3).ask("Hoeveel kost de versterking van de Waalbrug, en wie betaalt het meeste?")
    assert {c.doc_id for c in answer.citations} == {"brug"}  # not the dike that shares "betaalt het meeste"


def test_a_part_judged_unlikely_for_every_sentence_is_said_to_be_unanswered_even_beside_its_best(tmp_path, corpus):
    llm = recording_llm("Lavrov bezocht Wang Yi in China [1].")
    llm.yes_for = lambda question, sentence: 0.95 if "Wang Yi" in sentence and "wie" not in question else 0.01
    answer = bot_with(tmp_path, corpus, llm, k=4).ask("Welk land bezocht Lavrov, en wie bezocht hij daar?")
    assert answer.answer.endswith("Op „wie bezocht hij daar?” geven de artikelen geen antwoord.")
    assert not llm.seen[-1][-1].text.rstrip().endswith("Yes or No:")  # worded by the model: no shared sentence


FLOODS = {
    "flood2021.txt": " date 2021-07 Valkenburg en Meerssen werden ontruimd.\n\nHet water stond een meter hoog.",
    "flood2023.txt": " date 2023-07 De minister blikte terug: in 2021 werden dorpen ontruimd en er kwamen buffers.\n\n"
                     "De eerste nieuwe buffer komt bij Epen.",
}


def test_a_part_keeps_to_its_own_date_even_when_the_whole_question_has_only_that_date(tmp_path):
    """The whole question searches 2021 only; its second part finds the 2023 article, whose look back
    at 2021 ranks above the 2021 article's own sentence for the first part."""
    corpus = write_corpus(tmp_path / "floods", FLOODS)
    answer = bot_with(tmp_path, corpus, k=2).ask("Welke dorpen werden in 2021 ontruimd, en waar komt de eerste nieuwe buffer?")
    assert answer.filters["since"] == "2021"
    assert [c.quote for c in answer.citations] == ["Valkenburg en Meerssen werden ontruimd.",
                                                   "De eerste nieuwe buffer komt bij Epen."]


# -- follow-ups: the model's rewrite, checked in code (rag.followup) -------------------------------------
from rag.followup import grounded, needs_history, previous_answer, told_before  # noqa: E402

HISTORY = [{"role": "user", "content": "Welke regio bezocht Blinken in maart 2023?"},
           {"role": "assistant", "content": "Blinken bezocht Centraal-Azië [1]."}]


@pytest.mark.parametrize("rewrite, ok", [
    ("Hoeveel dollar zegde Blinken de regio toe?", True),
    ("Hoeveel dollar zegde Blinken Centraal-Azie toe?", True),  # accents folded
    ("Hoeveel dollar zegde Obama de regio toe?", False),  # a name nobody said
    ("Hoeveel dollar zegde hij daar toe?", False),  # unchanged: nothing gained
    ("Hoeveel dollar zegde hij in Centraal-Azië toe?", False),  # still leans on the conversation
    ("Hoeveel dollar zegde Blinken in Centraal-Azië?", False),  # lost a word of the question ("toe")
    ("", False),
])
def test_a_rewrite_is_accepted_only_when_every_word_was_said(rewrite, ok):
    assert grounded(rewrite, "Hoeveel dollar zegde hij daar toe?", HISTORY) is ok


def test_a_rewrite_may_replace_there_with_the_place():
    history = [{"role": "user", "content": "Where is Blinken going?"}, {"role": "assistant", "content": "In India [1]."}]
    assert grounded("Who might Blinken run into in India?", "Who might Blinken run into there?", history)
    assert not grounded("Who might Blinken run into in China?", "Who might Blinken run into there?", history)


def test_a_rewrite_may_inflect_a_verb_for_the_name_it_puts_in():
    history = [{"role": "user", "content": "Welke bond riep de staking uit?"}, {"role": "assistant", "content": "FNV."}]
    assert grounded("Wat eist de FNV nog meer?", "Wat eisen ze nog meer?", history)


@pytest.mark.parametrize("history, expected", [
    (HISTORY, "Blinken bezocht Centraal-Azië."),
    ([{"role": "user", "content": "Wie?"}, {"role": "assistant", "content": "Volgens het artikel: „Ria Brouwers leidde "
      "de commissie.” [2]. En meer [3]."}], "Volgens het artikel: Ria Brouwers leidde de commissie."),
    ([{"role": "user", "content": "Wie?"}, {"role": "assistant", "content": "Dat staat niet in de artikelen."}], ""),
    ([{"role": "user", "content": "Wie?"}], ""),  # not answered yet
    ([{"role": "user", "content": "Wie?"}, {"role": "assistant", "content": "x " * 300}], ("x " * 99 + "x …")),
    ([{"role": "user", "content": "Wie?"}, {"role": "assistant", "content": "Blinken zegde ca. 25 mln. dollar toe "
      "[1, 2]. Meer."}], "Blinken zegde ca. 25 mln. dollar toe."),
    # a dated answer's (or a timeline's) labels are not what it said: they would date the follow-up
    ([{"role": "user", "content": "Wie in 2021 en 2023?"}, {"role": "assistant", "content": "maart 2023: Blinken "
      "bezocht Astana [1].\nmaart 2021: Lavrov bezocht China [2]."}], "Blinken bezocht Astana."),
])
def test_the_previous_answer_is_its_first_sentence_plain_and_short(history, expected):
    assert previous_answer(history) == expected


@pytest.mark.parametrize("question, leans", [
    ("What is that country's position on the war?", True),
    ("What did the head of that commission say about it?", True),
    ("Which uses does it leave out?", True),
    ("Wat zei de minister bij dat bezoek over de ramp?", True),
    ("Wat vindt dat land van de oorlog?", True),
    ("Is it true that the AI Act bans chatbots?", False),  # the "it" of "is it true"
    ("Why did the court rule that Shell must cut its emissions?", False),  # "its": Shell, named before it
    ("Wat zei Poetin nadat hij Xi ontmoette?", False),
    ("Is het waar dat minister Adema stopt?", False),  # "dat" joins clauses
    ("Waarom vindt LTO dat de boeren het grootste deel moeten inleveren?", False),
    ("Welke provincie vond de deadline die het kabinet stelde niet haalbaar?", False),
    ("Which law did the cabinet declare applicable?", False),
    ("Wat valt volgens het artikel op aan de bevolking?", True),  # the article of the answer before
    ("What else does the article say?", True),
    ("Wat zegt het rapport van de commissie?", False),
    # "zijn" after "heeft"/"had" or a preposition is "his" (follow-ups of a trial and tune searched alone)
    ("Hoeveel handtekeningen heeft zijn stichting tegen het park opgehaald?", True),
    ("Hoeveel regenbuffers had zijn waterschap al in het Geuldal aangelegd?", True),
    ("Hoeveel mensen zijn er geëvacueerd?", False),  # the verb
    ("Wat vond Verbeek van zijn plan?", False),  # his: Verbeek, named before it
    # "die"/"deze" after a question's opening verb, or a preposition, points back; after a noun it begins a clause
    ("Rijdt die ook in het weekend?", True),
    ("Hoeveel mensen hebben aandelen in die coöperatie genomen?", True),
    ("Welke provincie vond de deadline die het kabinet stelde te krap?", False),
    ("Hoeveel boeren die beregenden kregen een boete?", False),
    # a "daar-" word points to a thing said before, whoever the question names
    ("Waarom zag Europa daarin een bewijs dat China partij koos?", True),
    ("Wat zei Poetin daarover?", True),
    # set phrases and times are no pointers (review)
    ("Wanneer gaat het windpark op zijn vroegst stroom leveren?", False),
    ("Welke partijen zullen tegen zijn bij de stemming?", False),
    ("Wat gebeurt deze week in de Tweede Kamer?", False),
    ("Hoeveel regen viel er in deze zomer in Limburg?", False),
    ("How many die each year in traffic accidents?", False),
    ("Is Nederland erin geslaagd de doelen te halen?", False),
    ("how often does that one run?", True),  # a blind trial's follow-up about a bus line, searched alone
    ("Which one is the oldest?", False),
    ("Is it true that one in five Dutch farmers quit farming?", False),  # review: "that one in five"
    ("Did the report say that one of the dikes failed?", False),
    # "there"/"daar" points to a place said before, whoever the question names (the sample articles:
    # "Who might Blinken run into there?" after "In India." was searched alone) ...
    ("Who might Blinken run into there?", True),
    ("Wie zou Blinken daar tegen het lijf lopen?", True),
    ("Has Russia been there before?", True),
    # ... unless the question names the place, or "there" is existential
    ("Wat gebeurde er in Tasjkent en wie was daar?", False),
    ("Wat vinden de bewoners op Texel daar van?", False),
    ("In Kazakhstan, who did Blinken meet there?", False),
    ("Were there Russian troops in Belarus?", False),
    ("How many Russian soldiers were there in Belarus?", False),
    ("Did Biden say there was a deal with Putin?", False),
])
def test_pointers_to_something_named_before_make_a_follow_up(question, leans):
    assert needs_history(question, HISTORY) is leans


def test_the_rewrite_is_shown_the_previous_answer(tmp_path, corpus):
    llm = recording_llm("Hoeveel dollar zegde Blinken Centraal-Azië toe?", "Blinken zegde 25 miljoen dollar toe [1].",
                        yes=yes_when("25 miljoen"))
    bot_with(tmp_path, corpus, llm).ask("Hoeveel dollar zegde hij daar toe?", history=HISTORY)
    rewrite = next(m for m in llm.seen if m[-1].text.startswith("Earlier question:"))
    assert rewrite[-1].text == ("Earlier question: Welke regio bezocht Blinken in maart 2023?\n"
                                "Earlier answer: Blinken bezocht Centraal-Azië.\nLast question: Hoeveel dollar zegde hij daar toe?")


def test_a_grounded_rewrite_is_what_is_searched_and_judged(tmp_path, corpus):
    llm = recording_llm("Hoeveel dollar zegde Blinken de regio toe?", "Blinken zegde 25 miljoen dollar toe [1].",
                        yes=yes_when("25 miljoen"))
    answer = bot_with(tmp_path, corpus, llm).ask("Hoeveel dollar zegde hij daar toe?", history=HISTORY)
    assert answer.standalone_query == "Hoeveel dollar zegde Blinken de regio toe?"
    judged = [m[-1].text for m in llm.seen if m[-1].text.endswith("Yes or No:")]
    assert judged and all(t.startswith("Question: Hoeveel dollar zegde Blinken de regio toe?\n") for t in judged)
    assert "25 miljoen" in answer.answer and not answer.abstained


def test_an_invented_rewrite_is_not_used(tmp_path, corpus):
    llm = recording_llm("Hoeveel dollar zegde Obama toe?", "Blinken zegde 25 miljoen dollar toe [1].",
                        yes=yes_when("25 miljoen"))
    answer = bot_with(tmp_path, corpus, llm).ask("Hoeveel dollar zegde hij daar toe?", history=HISTORY)
    assert "Obama" not in answer.standalone_query
    assert answer.standalone_query == ("Welke regio bezocht Blinken in maart 2023? Blinken bezocht Centraal-Azië. "
                                       "Hoeveel dollar zegde hij daar toe?")


def test_a_sentence_one_part_cannot_use_is_still_judged_for_the_other(tmp_path, corpus):
    # "hoeveel" wants a number, which "Blinken bezocht Centraal-Azië." lacks; "welk gebied" wants no kind
    llm = recording_llm("Blinken zegde 25 miljoen dollar toe [1]. Hij bezocht Centraal-Azië [1].")
    llm.yes_for = lambda question, sentence: 0.95 if ("Centraal-Azië" if "gebied" in question else "25 miljoen") \
        in sentence else 0.1
    answer = bot_with(tmp_path, corpus, llm, k=4).ask("Hoeveel geld zegde Blinken toe, en welk gebied bezocht hij?")
    assert answer.decision["lacking"]["sentences"] == ["Blinken bezocht Centraal-Azië."]  # not judged for the first part
    assert [p["p_best"] for p in answer.decision["parts"]] == [0.95, 0.95]  # but judged, and chosen, for the second
    assert not answer.abstained


def test_the_parts_of_a_question_are_judged_by_p_yes_not_the_probe(tmp_path, corpus):
    # the probe was trained on whole questions; judging parts by it lost a two-article answer
    llm = recording_llm("Blinken zegde 25 miljoen dollar toe [1]. Hij bezocht Centraal-Azië [1].")
    llm.yes_for = lambda question, sentence: 0.95 if ("Centraal-Azië" if "gebied" in question else "25 miljoen") \
        in sentence else 0.1
    llm.probe = lambda question, sentence: 0.05  # would refuse every part
    answer = bot_with(tmp_path, corpus, llm, k=4).ask("Hoeveel geld zegde Blinken toe, en welk gebied bezocht hij?")
    assert answer.decision["judge"] == "p_yes" and [p["p_best"] for p in answer.decision["parts"]] == [0.95, 0.95]
    assert not answer.abstained and "25 miljoen" in answer.answer


def test_parts_judged_too_low_take_the_sentences_the_probe_finds_answer_the_whole_question(tmp_path, corpus):
    # P(Yes) finds too little for either part; the probe, trained on whole questions, finds both answers
    llm = recording_llm("Blinken zegde 25 miljoen dollar toe [1]. Hij bezocht Centraal-Azië [1].")
    llm.yes_for = lambda question, sentence: 0.1
    llm.probe = lambda question, sentence: (0.0 if "," not in question else 0.8 if "25 miljoen" in sentence
                                            else 0.9 if "Centraal-Azië" in sentence else 0.05)
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_PARTS)
    assert answer.decision["whole"] == {"p_answer": 0.85, "judge": "probe"} and answer.decision["p_answer"] == 0.85
    assert not answer.abstained and "25 miljoen" in answer.answer and "Centraal-Azië" in answer.answer
    assert not any(s.note == NOT_ANSWERED for s in answer.sentences)


def test_a_part_the_probe_finds_no_answer_for_either_is_said_to_be_unanswered(tmp_path, corpus):
    llm = recording_llm("Blinken zegde 25 miljoen dollar toe [1].")
    llm.yes_for = lambda question, sentence: 0.95 if "25 miljoen" in sentence and "gebied" not in question else 0.1
    llm.probe = lambda question, sentence: 0.05
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_PARTS)
    assert answer.decision["whole"]["p_answer"] == 0.05 and not answer.abstained  # the first part passes alone
    assert [s.text for s in answer.sentences if s.note == NOT_ANSWERED] == [
        "Op „welk gebied bezocht hij?” geven de artikelen geen antwoord."]


def test_a_question_in_parts_is_refused_when_neither_its_parts_nor_the_probe_on_the_whole_pass(tmp_path, corpus):
    llm = recording_llm("Blinken zegde 25 miljoen dollar toe [1].")
    llm.yes_for = lambda question, sentence: 0.1
    llm.probe = lambda question, sentence: 0.1
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_PARTS)
    assert answer.abstained and answer.decision["whole"]["p_answer"] == 0.1


def test_without_a_probe_a_question_in_parts_is_not_judged_whole(tmp_path, corpus):
    # P(Yes) of the whole question is what splitting it improved on: a server's model has no probe
    llm = recording_llm("Blinken zegde 25 miljoen dollar toe [1].")
    llm.yes_for = lambda question, sentence: 0.95 if "," in question else 0.1
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_PARTS)
    assert answer.abstained and "whole" not in answer.decision


# -- a follow-up asks something new: what the turn before said is not its answer (rag.followup.told_before)

WETHOUDER = [{"role": "user", "content": "Welke wethouder liep voorop bij de protestmars in Halmstede?"},
             {"role": "assistant", "content": "Dat was Gerrit Nijenhuis, wethouder zorg van Halmstede. Hij zei: "
                                              "„Je haalt het hart uit onze gemeente.”"}]
COMMISSIE = [{"role": "user", "content": "Wie leidde het onafhankelijke onderzoek naar de brand?"},
             {"role": "assistant", "content": "Het onderzoek werd geleid door oud-brandweercommandant Anneke Brouwers, "
                                              "in opdracht van de gemeente en de provincie Noord-Brabant."}]


@pytest.mark.parametrize("history, sentence, told", [
    (WETHOUDER, "Wethouder Gerrit Nijenhuis (zorg) liep voorop.", True),  # every word said before
    (WETHOUDER, "Wethouder Gerrit Nijenhuis spreekt van „gebroken beloften”.", False),  # the follow-up's answer
    (COMMISSIE, "De commissie onder leiding van oud-brandweercommandant Anneke Brouwers werkte ruim een jaar aan het "
                "onderzoek, in opdracht van de gemeente en de provincie Noord-Brabant.", True),
    (COMMISSIE, "Volgens het rapport begon de brand door kortsluiting in een laadstation voor heftrucks.", False),
    (HISTORY, "Blinken bezocht Centraal-Azië.", True),
    (HISTORY, "Hij zegde de regio 25 miljoen dollar extra toe.", False),
    ([{"role": "user", "content": "Wie?"}], "Blinken bezocht Centraal-Azië.", False),  # no answer yet
    # the question alone told nothing (review): not answered yet, or refused
    ([{"role": "user", "content": "Welk gebied bezocht Blinken?"}], "Blinken bezocht Centraal-Azië.", False),
    ([{"role": "user", "content": "Welk gebied bezocht Blinken?"},
      {"role": "assistant", "content": "Dat staat niet in de artikelen."}], "Blinken bezocht Centraal-Azië.", False),
    # citation marks and a date label are no words of it
    ([{"role": "user", "content": "Wat deed Blinken?"},
      {"role": "assistant", "content": "maart 2023: Volgens het artikel: „Blinken bezocht Centraal-Azië.” [1]."}],
     "Blinken bezocht Centraal-Azië.", True),
    (HISTORY, "„…”", False),  # no words
])
def test_a_sentence_the_turn_before_said_is_told_before(history, sentence, told):
    assert told_before([sentence], history) == [told]


def test_a_follow_up_is_not_answered_with_what_the_turn_before_said(tmp_path, corpus):
    """The judge likes both sentences; the one that answered the earlier question is not judged again."""
    history = [{"role": "user", "content": "Welk gebied bezocht Blinken in 2023?"},
               {"role": "assistant", "content": "Blinken bezocht Centraal-Azië [1]."}]
    llm = recording_llm("Wat deed Blinken nog meer in Centraal-Azië?", "Blinken zegde de regio 25 miljoen dollar toe [1].",
                        yes=yes_when("bezocht", "zegde"))
    answer = bot_with(tmp_path, corpus, llm).ask("En wat deed hij daar nog meer?", history=history)
    assert not answer.abstained, answer.abstain_reason
    assert "25 miljoen" in answer.answer and "bezocht" not in answer.answer
    judged = [c["text"] for c in answer.decision["candidates"]]
    assert judged and "Blinken bezocht Centraal-Azië." not in judged


def test_without_a_model_a_follow_up_is_not_answered_with_what_the_turn_before_said_either(tmp_path, corpus):
    history = [{"role": "user", "content": "Welk gebied bezocht Blinken in 2023?"},
               {"role": "assistant", "content": "Blinken bezocht Centraal-Azië [1]."}]
    answer = bot_with(tmp_path, corpus).ask("En wat deed Blinken daar?", history=history)
    assert not answer.abstained and "bezocht" not in answer.answer


# -- what was planned, and what came of it: each from its own article ---------------------------------
from rag.parts import leans, side_keeps, sides  # noqa: E402


@pytest.mark.parametrize("question, marks", [
    ("Hoeveel zouden de twee veerboten kosten, en hoeveel kosten ze nu?", ["then", "now"]),
    ("Hoeveel legkippen had Lammers toen de vogelgriep uitbrak, en hoeveel houdt hij er nu?", ["then", "now"]),
    ("What was the extension supposed to cost, and what did it turn out to cost?", ["then", "now"]),
    ("How many jobs did the airport promise, and how many have actually been created?", ["then", "now"]),
    ("Hoeveel woningen zou het vliegveld isoleren, en bij hoeveel is dat echt gebeurd?", ["then", "now"]),
    ("Wat stelde het Chinese vredesplan voor, en hoe werd het in Oekraïne ontvangen?", ["", ""]),
    ("Hoeveel kosten de boten nu, en hoeveel passagiers varen er nu mee?", ["", ""]),  # no plan asked
    ("Hoeveel zouden de boten kosten?", [""]),
    # two things of today, the plan not first (found in review)
    ("Hoeveel kost de brug nu, en wanneer zou hij opengaan?", ["", ""]),
    ("Hoeveel mensen wonen er nu in Almere, en hoeveel zouden er komen?", ["", ""]),
    ("Wat gaat de gemeente doen nu de brug dicht is, en wat zou het kosten?", ["", ""]),  # "nu de": now that
    ("What does the party promise, and how is it currently polling?", ["", ""]),
    ("How many people live there today, and how many are expected to arrive?", ["", ""]),
])
def test_a_question_that_sets_the_plan_against_what_came_of_it_has_two_sides(question, marks):
    assert sides(split_question(question)) == marks


@pytest.mark.parametrize("question, compares", [
    ("How much later than promised will the bridge open?", True),
    ("hoeveel bomen zijn er langs de Oude Ravel meer gekapt dan in het plan stond?", True),
    ("hoeveel later dan de directeur had gehoopt ging het museum weer open?", True),
    ("Hoeveel duurder dan begroot werd de verbouwing?", True),
    ("Voerde de Geul bij Meerssen meer water af dan bij de vorige piek in 2016?", False),  # no plan
    ("Hoeveel meer bezoekers kwamen er dan vorig jaar?", False),
    ("How many more people came than in 2023?", False),
    ("Did more people come than expected?", False),  # one sentence says so (review)
    ("Why was turnout lower than expected?", False),
])
def test_a_comparison_with_the_plan_is_asked_of_the_plan_and_of_what_came_of_it(question, compares):
    parts = split_question(question)
    assert (parts == [question, question] and sides(parts) == ["then", "now"]) is compares
    assert compares or parts == [question]


def test_the_part_that_asks_what_came_of_it_leans_on_the_first_even_naming_nothing():
    parts = split_question("Hoeveel pluimveebedrijven had Heukelom-Veld ten tijde van de uitbraak, en hoeveel zijn er nu nog over?")
    assert parts[1] == "hoeveel zijn er nu nog over?" and leans(parts, 1)
    assert not leans(split_question("Hoeveel bedrijven had Heukelom-Veld, en hoeveel koeien stonden er in de stal van Lammers?"), 1)


def test_each_side_keeps_to_its_articles_of_the_story():
    dates = ["2024-10", "2024-10", "2026-05", "2023-01", None, "2025-02"]
    story = {"2024-10", "2026-05"}
    assert side_keeps("now", dates, story).tolist() == [False, False, True, False, False, True]
    assert side_keeps("then", dates, story).tolist() == [True, True, False, True, False, True]
    assert side_keeps("", dates, story) is None
    assert side_keeps("now", dates, {"2026-05"}) is None  # one date: nothing to tell apart
    # dates are the spans they name: a day of the plan's month is no later article, a year holds its months
    assert side_keeps("now", ["2024-10-20", "2026-05-02", ""], story).tolist() == [False, True, False]
    assert side_keeps("then", ["2024-10-20", "2026", "2025"], {"2024", "2026-05"}).tolist() == [True, False, True]
    assert side_keeps("now", dates, {"2024-10", "2024-10-20"}) is None  # one month, not two dates


BRIDGE = {
    "fietsbrug_plan.txt": (" date 2024-10 De gemeente Veldhoven-Noord bouwt een nieuwe fietsbrug over het kanaal. "
                           "Volgens het raadsbesluit kost de fietsbrug 12 miljoen euro.\n\n"
                           "Wethouder Anna de Bruin noemde de brug een belangrijke stap voor fietsers."),
    "fietsbrug_vervolg.txt": (" date 2026-05 De nieuwe fietsbrug over het kanaal in Veldhoven-Noord kost 19 miljoen euro, "
                              "veel meer dan het bedrag dat de gemeente in 2024 noemde.\n\n"
                              "De fietsbrug gaat pas in 2027 open."),
}


def test_the_plan_is_answered_from_the_earlier_article_and_the_outcome_from_the_latest(tmp_path):
    corpus = write_corpus(tmp_path / "bridge", BRIDGE)
    answer = bot_with(tmp_path, corpus, k=4).ask("Hoeveel zou de fietsbrug kosten, en hoeveel kost de fietsbrug nu?")
    assert [c.doc_id for c in answer.citations] == ["fietsbrug_plan", "fietsbrug_vervolg"], answer.answer
    assert "12 miljoen" in answer.answer and "19 miljoen" in answer.answer
