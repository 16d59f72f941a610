"""Timeline questions: the detector (a table), date labels, and the chain's dated path with fakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from rag.answer import REFUSALS, AnswerSentence
from rag.chain import LINE_PROBE_WEIGHT
from rag.dates import parse_question_dates
from rag.timeline import date_label, dated, from_then_on, in_date_order, is_timeline, subject
from tests.conftest import write_corpus
from tests.fakes import AnsweringChatModel, recording_llm, yes_when
from tests.test_chain import bot_with


@pytest.mark.parametrize("question", [
    "Hoe ontwikkelde de relatie tussen China en Rusland zich sinds 2021?",
    "Hoe heeft de hulp aan Limburg zich na de overstroming ontwikkeld?",
    "Hoe veranderde de verzekering tegen overstromingen tussen 2021 en 2023?",
    "Wat was het verloop van de schadeafhandeling in Limburg?",
    "Geef een tijdlijn van de contacten tussen Rusland en China.",
    "Wat gebeurde er tussen 2021 en 2023 in het Geuldal?",
    "Wat is er sinds 2021 veranderd voor de gedupeerden?",
    "How did the relationship between China and Russia develop?",
    "How has flood insurance changed since 2021?",
    "How did home insurance cover for flooding from small rivers like the Geul change between 2021 and 2023?",
    "What happened between the US and Russia in 2021 and 2023?",
    "How did relations between Moscow and Beijing evolve over time?",
    "Give me a timeline of the Limburg flood aftermath.",
    "Hoe verging het de winkels in het centrum sinds de ramp?",  # how something fared (stop 39)
    "How did the shops in the centre fare after the flood?",
    "What became of the old campsite?",
    "Wat is er geworden van de plannen voor een nieuw zwembad?",
    "Hoe verging het de vrijwilligers van de eerste oproep tot de opening?",  # from one event to another
    "How did the club's members get on from the closure to the reopening?",
    "Hoe is het de winkeliers vergaan sinds de ramp?",
    # a blind timeline set's phrasings (stop 51)
    "Hoe is de schatting van de schade bijgesteld tussen de eerste dagen en het eindrapport?",
    "Geef een overzicht in de tijd van de bouwkosten van het windpark.",
    "Walk me through who was paying for the flood damage, from the first days to two years later.",
    "How has the expected date of the first electricity shifted since the farm was approved?",
    "Wat is er terechtgekomen van het onderzoek dat de minister beloofde?",
    "Wat is er sinds het besluit van maart 2025 veranderd aan de opbrengst van het fonds?",  # from a date on
    "Wat is er sinds de sluiting van het zwembad gebeurd met het ledental?",  # from an event on
])
def test_a_question_about_a_development_is_a_timeline(question):
    assert is_timeline(question)


@pytest.mark.parametrize("question", [
    "Sinds wanneer zijn overstromingen van de Maas gedekt door de opstalverzekering?",  # asks one date
    "Wie bezocht er in 2021 en in 2023?",  # two dates, but asks who
    "Which Chinese foreign ministers are named in the 2021 and 2023 articles?",
    "How did the AI Act change the rules for facial recognition?",  # changes something: not a development
    "How did Biden describe Putin?",
    "What happened to the campsite De Gele Poort?",  # what happened, but no span of dates
    "Hoeveel regenbuffers komen er sinds 2021 bij?",
    "Met welke woorden omschreef Xi Jinping de relatie tussen China en Rusland?",
    "Hoe gaat het met Rusland en China?",
    "Wat werd er van het geld gedaan?",  # "wat werd er van" asks what was done with it
    "How far is it from the station to the harbour?",  # a span of places, not of events
    "Welke wegen liepen van het centrum tot de rivier onder water?",
    "Wat is de afstand van het centrum tot de rivier?",  # (review: these were timelines in a first version)
    "How did the water get from the river to the town centre?",
    "How did passengers react to the fare increase?",
    "How did the council set the bus fare?",
    "Hoe is het vissersschip vergaan?",  # sank
    "Hoe vergaat plastic in zee?",
    "Wat werd er van de inwoners gevraagd?",
    "Wat is er in maart 2025 veranderd aan de opbrengst van het fonds?",  # one month, no span
    "Wat is er met de camping gebeurd?",
    # (review) what came next, once; a plan, a place: not how something developed
    "Wat is er met de eendenhouderij gebeurd na de ruiming?", "Wat gebeurde er na de stemming?",
    "What happened after the match in Rotterdam?", "Walk me through the new parking rules in Utrecht.",
    "Waar is het geld terechtgekomen van de inzamelingsactie?", "Hoe is de begroting bijgesteld?",
    "Hoe is de wedstrijd tegen PSV verschoven?", "Hoe is het mogelijk dat de wedstrijd is verschoven?",
])
def test_an_ordinary_question_is_not_a_timeline(question):
    assert not is_timeline(question)


@pytest.mark.parametrize("iso, lang, label", [
    ("2021-03", "nl", "maart 2021"), ("2021-03", "en", "March 2021"), ("2023-07-04", "nl", "4 juli 2023"),
    ("2024", "en", "2024"), ("", "nl", "zonder datum"), (None, "en", "undated"),
])
def test_an_article_date_is_written_in_the_questions_language(iso, lang, label):
    assert date_label(iso, lang) == label


def test_lines_go_oldest_first_and_undated_last():
    assert in_date_order([("2023-03", 1), (None, 2), ("2021-03", 3), ("2023-03", 0)]) == [2, 3, 0, 1]


def test_sentences_citing_articles_of_different_dates_each_say_their_date():
    said = [AnswerSentence(text="Lavrov bezocht Wang Yi.", citations=[2]),
            AnswerSentence(text="Blinken bezocht Astana.", citations=[1, 3]),
            AnswerSentence(text="Op „wie nog?” geven de artikelen geen antwoord.")]
    out = dated(said, {1: "2023-03", 2: "2021-03-15", 3: "2021-03"}, "nl")
    assert [s.text for s in out] == ["15 maart 2021: Lavrov bezocht Wang Yi.", "maart 2023: Blinken bezocht Astana.",
                                     "Op „wie nog?” geven de artikelen geen antwoord."]  # its first citation's date
    assert said[0].text == "Lavrov bezocht Wang Yi."  # a new list: the sentences given are left as they were
    assert [s.text for s in dated(said[:2], {1: "2023-03", 2: None}, "en")] == [
        "March 2023: Blinken bezocht Astana.", "undated: Lavrov bezocht Wang Yi."]  # undated after the dated


def test_sentences_of_one_date_are_left_undated():
    said = [AnswerSentence(text="Lavrov bezocht Wang Yi.", citations=[2]), AnswerSentence(text="Hij bleef.", citations=[1])]
    assert [s.text for s in dated(said, {1: "2021-03", 2: "2021-03"}, "nl")] == ["Lavrov bezocht Wang Yi.", "Hij bleef."]
    assert dated([], {}, "nl") == []


def test_dated_sentences_run_oldest_first_and_one_dates_sentences_keep_their_order():
    said = [AnswerSentence(text="Blinken bezocht Astana.", citations=[3]),
            AnswerSentence(text="Op „wie nog?” geven de artikelen geen antwoord."),
            AnswerSentence(text="Hij sprak Tokajev.", citations=[3]),
            AnswerSentence(text="Zonder datum.", citations=[4]),
            AnswerSentence(text="Lavrov bezocht Wang Yi.", citations=[2])]
    out = dated(said, {2: "2021-03", 3: "2023-03", 4: None}, "nl")
    assert [s.text for s in out] == ["maart 2021: Lavrov bezocht Wang Yi.", "maart 2023: Blinken bezocht Astana.",
                                     "maart 2023: Hij sprak Tokajev.", "zonder datum: Zonder datum.",
                                     "Op „wie nog?” geven de artikelen geen antwoord."]


def test_a_sentence_that_points_back_keeps_the_order_given():
    said = [AnswerSentence(text="Meulenberg zei in 2023 dat de dijk klaar was.", citations=[1]),
            AnswerSentence(text="Twee jaar eerder had hij nog gezegd dat het te lang duurde.", citations=[2])]
    out = dated(said, {1: "2023-03", 2: "2021-03"}, "nl")  # "hij", "eerder": moved, it would come first
    assert [s.text for s in out] == ["maart 2023: Meulenberg zei in 2023 dat de dijk klaar was.",
                                     "maart 2021: Twee jaar eerder had hij nog gezegd dat het te lang duurde."]


# -- the chain's timeline path, with the bag-of-words embedder and scripted models ---------------------
ARTICLES = {  # the newest article shares the most words with the question, so it is retrieved first
    "relatie_2023.txt": " date 2023-03 Xi Jinping bezocht Poetin in Moskou.\n\n"
                        "De relatie tussen Rusland en China werd hechter door de reis.",
    "relatie_2021.txt": " date 2021-03 Lavrov bezocht Wang Yi in Guilin.\n\n"
                        "De relatie tussen Rusland en China werd hechter door de sancties.",
    "haven.txt": " date 2022-05 De haven van Rotterdam groeide.",
}
Q_NL = "Hoe ontwikkelde de relatie tussen Rusland en China zich sinds 2021?"
Q_EN = "How did the relationship between Rusland and China develop since 2021?"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus", ARTICLES)


def doc_of(answer, n: int) -> str:
    return next(s.doc_id for s in answer.sources if s.n == n)


def test_each_article_gives_one_dated_cited_line_oldest_first(tmp_path, corpus):
    llm = recording_llm("De relatie tussen Rusland en China werd hechter door de sancties [1].",
                        "De relatie tussen Rusland en China werd hechter door de reis [1].",
                        yes=yes_when("Rusland en China"))
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_NL)
    assert not answer.abstained, answer.abstain_reason
    lines = answer.answer.split("\n")
    assert len(lines) == 2 and lines[0].startswith("maart 2021: ") and lines[1].startswith("maart 2023: ")
    assert [doc_of(answer, s.citations[0]) for s in answer.sentences] == ["relatie_2021", "relatie_2023"]
    assert all(len(s.citations) == 1 and f"[{s.citations[0]}]" in line for s, line in zip(answer.sentences, lines))
    assert [t["date"] for t in answer.decision["timeline"]] == ["2021-03", "2023-03"]
    assert answer.model_dump_json()  # the Answer stays JSON-compatible
    phrased = [m[-1].text for m in llm.seen if not m[-1].text.endswith("Yes or No:")]
    assert len(phrased) == 2 and "sancties" in phrased[0] and "reis" in phrased[1]  # one sentence each


def test_an_article_the_judge_is_sure_does_not_answer_is_left_out(tmp_path, corpus):
    llm = recording_llm("De relatie tussen Rusland en China werd hechter door de sancties [1].",
                        yes=lambda s: 0.95 if "sancties" in s else 0.05)
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_NL)
    assert [doc_of(answer, n) for n in (t["n"] for t in answer.decision["timeline"])] == ["relatie_2021"]
    assert "haven" not in answer.answer and "reis" not in answer.answer


def test_once_the_best_line_passes_another_article_joins_at_a_lower_p(tmp_path, corpus):
    # the 1.5B judge rarely calls one sentence an answer to "how did X develop?" (rag.chain.TIMELINE_JOIN_P)
    llm = recording_llm("De relatie tussen Rusland en China werd hechter door de sancties [1].",
                        "De relatie tussen Rusland en China werd hechter door de reis [1].",
                        yes=lambda s: 0.9 if "sancties" in s else 0.12 if "reis" in s else 0.05)
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_NL)
    assert [t["date"] for t in answer.decision["timeline"]] == ["2021-03", "2023-03"]


def test_an_article_that_names_nothing_the_question_names_is_no_line(tmp_path):
    # each year of the span is searched: 2022's best passage is about something else
    corpus = write_corpus(tmp_path / "corpus", {**ARTICLES, "boeren_2022.txt": (
        " date 2022-06 De relatie tussen boeren en kabinet ontwikkelde zich sinds 2021 slecht.")})
    llm = recording_llm(*["De relatie werd hechter [1]."] * 3, yes=lambda s: 0.9)
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_NL)
    assert [t["date"] for t in answer.decision["timeline"]] == ["2021-03", "2023-03"], answer.answer
    assert "boeren" not in answer.answer


def test_lines_that_all_stay_below_the_threshold_are_refused(tmp_path, corpus):
    answer = bot_with(tmp_path, corpus, recording_llm("x [1].", yes=lambda s: 0.25), k=4).ask(Q_NL)
    assert answer.abstained and answer.answer == REFUSALS["nl"]


def test_when_no_article_answers_the_usual_refusal_comes_without_phrasing(tmp_path, corpus):
    llm = recording_llm("Dit mag nooit verschijnen [1].", yes=lambda sentence: 0.1)
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_NL)
    assert answer.abstained and answer.answer == REFUSALS["nl"] and answer.citations == []
    assert all(m[-1].text.endswith("Yes or No:") for m in llm.seen)


def test_a_line_whose_wording_fails_the_check_is_quoted_in_the_questions_language(tmp_path, corpus):
    llm = recording_llm("In 2021 they fought about football [1].",
                        yes=yes_when("Rusland en China"))
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(Q_EN)
    lines = answer.answer.split("\n")
    assert lines[0].startswith("March 2021: The article (in Dutch) says: „De relatie tussen Rusland en China")
    assert "football" not in answer.answer  # (the fake embedder ranks the 2023 article out of this English question)
    assert all(s.supported and s.citations for s in answer.sentences)


def test_extractive_mode_gives_the_same_lines_verbatim(tmp_path, corpus):
    bot = bot_with(tmp_path, corpus, k=4)
    answer = bot.ask(Q_NL)
    lines = answer.answer.split("\n")
    assert [t["date"] for t in answer.decision["timeline"]] == ["2021-03", "2023-03"], answer.answer
    assert lines[0].startswith("maart 2021: ") and lines[1].startswith("maart 2023: ")
    for citation in answer.citations:
        assert citation.quote.rstrip(".") in answer.answer and citation.quote in bot.index.article(citation.doc_id).text


def test_tokens_stream_the_checked_lines(tmp_path, corpus):
    events = list(bot_with(tmp_path, corpus, k=4).stream(Q_NL))
    assert "".join(e.token for e in events if e.kind == "token") == events[-1].answer.answer


def test_a_development_question_without_dates_that_one_article_answers_is_a_plain_question(tmp_path):
    # "Hoe verliep de stemming …?" (the new trial of stop 36) asks how one vote went, not a timeline
    corpus = write_corpus(tmp_path / "corpus", {
        "stemming.txt": " date 2025-03 De Staten stemden woensdag over het windpark.\n\n"
                        "Het windpark kreeg 27 stemmen voor en 14 tegen.",
        "haven.txt": " date 2022-05 De haven van Rotterdam groeide.",
    })
    llm = recording_llm("Het windpark kreeg 27 stemmen voor en 14 tegen [1].", yes=yes_when("27 stemmen"))
    answer = bot_with(tmp_path, corpus, llm, k=4).ask("Hoe verliep de stemming over het windpark?")
    assert not answer.abstained, answer.abstain_reason
    assert "timeline" not in answer.decision and not answer.answer.startswith("maart 2025")
    assert "27 stemmen" in answer.answer and answer.citations


@pytest.mark.parametrize("question, about", [
    ("Hoe is de schatting van de schade door de Limburgse overstroming in de loop van de tijd veranderd?",
     "de schatting de schade door de Limburgse overstroming"),
    ("Hoe ontwikkelde de relatie tussen Rusland en China zich sinds 2021?", "de relatie Rusland China"),
    ("Give me a timeline of what happened to campsite De Gele Poort.", "campsite De Gele Poort"),
    ("What happened with the flood damage in Limburg between 2021 and 2023?", "with the flood damage in Limburg"),
    ("Geef een tijdlijn van de regenbuffers in het Geuldal.", "de regenbuffers in het Geuldal"),
    ("Hoe ontwikkelde het zich sinds 2021?", "Hoe ontwikkelde het zich sinds 2021?"),  # nothing but "het": whole
    # where it starts and ends is no subject either
    ("Hoe verging het de medewerkers van zwembad De Wielen van het sluitingsbesluit tot de heropening?",
     "het de medewerkers zwembad De Wielen"),
    ("What became of Camping De Gele Poort after the flood?", "Camping De Gele Poort"),
    ("What became of them after the flood?", "What became of them after the flood?"),  # only a pronoun: whole
    ("What became of it afterwards?", "What became of it afterwards?"),  # "afterwards" stems to "afterward"
    ("What became of the Van Gogh museum plan?", "the Van Gogh museum plan"),  # a name's "Van" stays
])
def test_the_subject_of_a_development_question_leaves_out_what_it_says_about_time(question, about):
    assert subject(question) == about


DAMAGE = {  # each article's first sentence shares the question's words about time, its second the subject
    "schade_2021.txt": " date 2021-07 In de loop van de tijd is er veel veranderd in Valkenburg.\n\n"
                       "De schade door de overstroming werd geschat op 300 miljoen euro.",
    "schade_2023.txt": " date 2023-07 Hoe het dorp is veranderd, is in de loop van de tijd goed te zien.\n\n"
                       "De schatting van de schade door de overstroming kwam uit op 615 miljoen euro.",
}


def test_each_line_is_the_articles_sentence_about_the_subject_not_about_change(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", DAMAGE)
    question = "Hoe is de schatting van de schade door de overstroming in de loop van de tijd veranderd?"
    answer = bot_with(tmp_path, corpus, k=4).ask(question)  # extractive: each article's best line, verbatim
    assert [t["date"] for t in answer.decision["timeline"]] == ["2021-07", "2023-07"]
    assert [c.quote for c in answer.citations] == ["De schade door de overstroming werd geschat op 300 miljoen euro.",
                                                   "De schatting van de schade door de overstroming kwam uit op 615 "
                                                   "miljoen euro."]


def test_the_judge_decides_which_articles_join_and_the_subject_which_of_their_sentences(tmp_path):
    # the judge prefers the sentence about change; the line is still the article's sentence about the subject
    corpus = write_corpus(tmp_path / "corpus", DAMAGE)
    llm = recording_llm("De schade werd geschat op 300 miljoen euro [1].", "De schade kwam uit op 615 miljoen euro [1].",
                        yes=lambda s: 0.8 if "veranderd" in s else 0.05)  # the lines alone would not join
    answer = bot_with(tmp_path, corpus, llm, k=4).ask(
        "Hoe is de schatting van de schade door de overstroming in de loop van de tijd veranderd?")
    assert not answer.abstained, answer.abstain_reason
    assert [t["date"] for t in answer.decision["timeline"]] == ["2021-07", "2023-07"]
    assert all("miljoen euro" in c.quote for c in answer.citations), answer.citations
    lines = [c["text"] for c in answer.decision["candidates"] if c.get("line")]  # the why-view marks them
    assert len(lines) == 2 and all("miljoen euro" in t for t in lines)


@pytest.mark.parametrize("question, since, until", [
    ("How did insurance cover for small rivers change after the 2021 disaster?", "2021", None),  # from then on
    ("Hoe verging het de Grotestraat sinds de overstroming van juli 2021?", "2021-07", None),
    ("Hoe ontwikkelde de relatie zich in 2023?", "2023", "2023"),  # within one year: stays
    ("How did relations develop during 2023?", "2023", "2023"),
    ("Wat gebeurde er tussen 2021 en 2023 met de buffers?", "2021", "2023"),  # a span already
    ("Hoe ontwikkelde de relatie zich sinds de overstroming in juli 2021?", "2021-07", None),
    ("Hoe ontwikkelde de relatie zich tot de top van 2023?", "2023", "2023"),  # the year ends it
    ("Hoe ontwikkelde de relatie zich in de zomer van 2023?", "2023", "2023"),
    ("How did energy prices change over 2022?", "2022", "2022"),
])
def test_a_single_year_a_development_starts_from_opens_the_span(question, since, until):
    found = from_then_on(parse_question_dates(question, "2026-10"), question)
    assert (found.since, found.until) == (since, until)


def test_a_timeline_after_an_event_of_one_year_also_finds_the_later_articles(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", DAMAGE)  # 2021 and 2023
    answer = bot_with(tmp_path, corpus, k=4).ask("Hoe veranderde de schatting van de schade na de overstroming van 2021?")
    assert {s.date for s in answer.sources} == {"2021-07", "2023-07"}  # kept to 2021, the 2023 article was not searched
    assert "2023-07" in [t["date"] for t in answer.decision["timeline"]], answer.answer
    assert answer.filters["since"] == "2021" and answer.filters["until"] is None


SIZED = {  # each article's first sentence is the most about the subject, its second says how large it was
    "schade_2021.txt": " date 2021-07 De schade door de overstroming in het dal was groot.\n\n"
                       "De schade door de overstroming in het dal werd op 300 miljoen euro geschat.",
    "schade_2023.txt": " date 2023-07 De schade door de overstroming in het dal is nog niet hersteld.\n\n"
                       "De schade door de overstroming in het dal kwam uit op 615 miljoen euro.",
}


@pytest.mark.parametrize("weight, sized", [(LINE_PROBE_WEIGHT, True), (0.0, False)])
def test_the_judge_probe_helps_choose_each_articles_line(tmp_path, monkeypatch, weight, sized):
    # the probe says the sentences with the amount answer; the subject alone (0.05-0.12 closer) would take the others
    monkeypatch.setattr("rag.chain.LINE_PROBE_WEIGHT", weight)
    corpus = write_corpus(tmp_path / "corpus", SIZED)
    llm = AnsweringChatModel(messages=iter([AIMessage("De schade werd op 300 miljoen euro geschat [1]."),
                                            AIMessage("De schade kwam uit op 615 miljoen euro [1].")]),
                             seen=[], yes=lambda s: 0.5, probe=lambda q, s: 0.95 if "miljoen" in s else 0.05)
    answer = bot_with(tmp_path, corpus, llm, k=4).ask("Hoe is de schade door de overstroming in het dal veranderd?")
    assert [t["date"] for t in answer.decision["timeline"]] == ["2021-07", "2023-07"], answer.abstain_reason
    lines = [c["text"] for c in answer.decision["candidates"] if c.get("line")]
    assert len(lines) == 2 and all(("miljoen" in t) is sized for t in lines), lines
