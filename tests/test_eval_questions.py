"""Question-set loaders: the shared JSON Lines format, CSV, RAGAS names, and bad lines by number.
Also: every gold quote of the project's own question sets is an exact substring of its article."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from eval.questions import KINDS, GoldSource, QuestionSetError, load_questions, parse_question
from ingest.loaders import load_articles
from rag.errors import InputError
from tests.conftest import ARTICLES, ROOT

OWN_SETS = [ROOT / "eval" / "questions.jsonl", ROOT / "eval" / "smoke.jsonl"]
ARTICLE = {"doc1": "Blinken zegde de regio 25 miljoen dollar extra toe. De C5+1 is in 2015 opgericht.",
           "doc2": "Het bezoek van Xi duurt drie dagen."}
GOOD = {"id": "q1", "question": "Hoeveel geld zegde Blinken toe?", "history": [], "answer": "25 miljoen dollar.",
        "answer_keywords": [["25 miljoen", "25 million"]],
        "sources": [{"doc": "doc1", "quote": "25 miljoen dollar extra"}], "answerable": True, "lang": "nl",
        "kind": "fact"}


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def stored_articles() -> dict[str, str]:
    """doc id -> article text exactly as ingest stores it."""
    return {a.doc_id: a.text for a in load_articles([ARTICLES])}


# -- the project's own sets -------------------------------------------------------------------------
def test_stored_text_is_the_file_after_its_date_header():
    for path in ARTICLES.glob("*.txt"):
        raw = path.read_text(encoding="utf-8")
        assert stored_articles()[path.stem] == re.sub(r"^\s*date\s+\d{4}-\d{2}\s*", "", raw).strip()


@pytest.mark.parametrize("path", OWN_SETS, ids=lambda p: p.name)
def test_every_gold_quote_is_in_its_article(path):
    articles = stored_articles()
    questions = load_questions(path, articles)  # raises on any quote that is not found
    for q in questions:
        for source in q.sources:
            assert source.quote in articles[source.doc], (q.id, source.quote)


CALIBRATION_SETS = [ROOT / "eval" / f"{name}.jsonl" for name in ("tune", "holdout", "mixed_tune", "mixed_holdout",
                                                                      "yesno_tune", "yesno_holdout", "probe_train", "probe_holdout",
                                                                      "parts_unanswerable_tune", "parts_unanswerable_holdout", "trial",
                                                                      "trial2", "trial3", "trial4", "trial5", "trial6", "trial7", "trial8", "trial9", "trial10", "trial11", "trial12", "trial13", "newuser_premise", "yesno_trial", "yesno_train",
                                                                      "yesno_holdout2")]


@pytest.mark.parametrize("path", CALIBRATION_SETS, ids=lambda p: p.name)
def test_every_gold_quote_of_the_tune_and_holdout_sets_is_in_its_article(path):
    articles = {a.doc_id: a.text for a in load_articles([ARTICLES, ROOT / "eval" / "articles",
                                                          ROOT / "eval" / "articles_en", ROOT / "eval" / "articles_probe",
                                                          ROOT / "eval" / "articles_trial"])}
    for q in load_questions(path, articles):  # raises on any quote that is not found
        assert all(source.quote in articles[source.doc] for source in q.sources), q.id
        assert q.answerable == bool(q.sources), q.id


@pytest.mark.parametrize("tune, holdout", [("tune", "holdout"), ("mixed_tune", "mixed_holdout"), ("yesno_tune", "yesno_holdout"),
                                            ("yesno_train", "yesno_holdout2"), ("probe_train", "probe_holdout"),
                                            ("parts_unanswerable_tune", "parts_unanswerable_holdout")])
def test_a_holdout_shares_no_question_with_its_tune_set(tune, holdout):
    first, second = (load_questions(ROOT / "eval" / f"{name}.jsonl") for name in (tune, holdout))
    assert not {q.id for q in first} & {q.id for q in second}
    assert not {q.question.lower() for q in first} & {q.question.lower() for q in second}


def test_the_probe_sets_have_articles_of_their_own():
    """The probe's training articles are in no other set, and its holdout asks about other articles."""
    probe_docs = {p.stem for p in (ROOT / "eval" / "articles_probe").glob("*.txt")}
    assert len(probe_docs) == 6
    docs = {path.stem: {s.doc for q in load_questions(path) for s in q.sources} for path in CALIBRATION_SETS + OWN_SETS}
    for name, used in docs.items():
        assert bool(used & probe_docs) == name.startswith("probe_"), name
    assert len(docs["probe_train"]) == 4 and len(docs["probe_holdout"]) == 2
    assert not docs["probe_train"] & docs["probe_holdout"]


def test_own_sets_cover_every_kind_and_both_languages():
    full = load_questions(OWN_SETS[0])
    assert 35 <= len(full) <= 50
    assert set(Counter(q.kind for q in full)) == set(KINDS)
    langs = Counter(q.lang for q in full)
    assert 0.5 <= langs["nl"] / len(full) <= 0.7 and langs["en"] > 0
    assert all(q.history for q in full if q.kind == "follow-up")
    assert all(not q.answerable and not q.sources for q in full if q.kind == "unanswerable")
    smoke = load_questions(OWN_SETS[1])
    assert set(q.kind for q in smoke) == set(KINDS) - {"timeline"}  # the 8-question CI gate predates timelines
    assert all(q.dates and len(q.sources) >= 2 for q in full if q.kind == "timeline")
    assert {q.id for q in smoke} <= {q.id for q in full}  # the CI gate runs a subset of the full set


def test_own_sets_are_not_the_shared_dev_set():
    dev = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"  # ../shared beside the repo
    if not dev.exists():
        pytest.skip("the shared dev set is not on this machine")
    ours = {q.question for q in load_questions(OWN_SETS[0])}
    assert not ours & {q.question for q in load_questions(dev)}


# -- JSON Lines -------------------------------------------------------------------------------------
def test_jsonl_in_the_shared_format(tmp_path):
    follow = {**GOOD, "id": "q2", "question": "En hoeveel dagen duurt het?", "kind": "follow-up",
              "history": [{"role": "user", "content": "Wie bezoekt Rusland?"}, {"role": "assistant", "content": "Xi."}],
              "sources": [{"doc": "doc2", "quote": "drie dagen"}], "answer_keywords": [["drie dagen"]]}
    refuse = {"id": "q3", "question": "Who won the Tour in 2022?", "history": [], "answer": "The articles don't say.",
              "answer_keywords": [], "sources": [], "answerable": False, "lang": "en", "kind": "unanswerable"}
    questions = load_questions(write_jsonl(tmp_path / "q.jsonl", [GOOD, "", follow, refuse]), ARTICLE)
    assert [q.id for q in questions] == ["q1", "q2", "q3"]
    assert questions[0].sources == [GoldSource("doc1", "25 miljoen dollar extra")]
    assert questions[1].history[0] == {"role": "user", "content": "Wie bezoekt Rusland?"}
    assert questions[1].line == 3
    assert not questions[2].answerable and questions[2].lang == "en"


def test_optional_fields_get_defaults(tmp_path):
    (q,) = load_questions(write_jsonl(tmp_path / "few.jsonl", [{"question": "Who visited Astana?"}]))
    assert (q.id, q.lang, q.kind, q.answerable, q.history) == ("few-1", "en", "fact", True, [])


@pytest.mark.parametrize("line, message", [
    ("{not json", "not valid JSON"),
    ('["a list"]', "not a JSON object"),
    ({"id": "x"}, "missing field 'question'"),
    ({**GOOD, "question": "  "}, "question must be a non-empty string"),
    ({**GOOD, "answer_keywords": ["25 miljoen"]}, "answer_keywords must be a list of non-empty lists"),
    ({**GOOD, "answer_keywords": [[]]}, "answer_keywords must be a list of non-empty lists"),
    ({**GOOD, "sources": [{"doc": "doc1"}]}, "source 1 must be"),
    ({**GOOD, "history": [{"role": "system", "content": "x"}]}, "history turn 1 must be"),
    ({**GOOD, "history": "earlier"}, "history must be a list"),
    ({**GOOD, "answerable": "false"}, "answerable must be true or false"),
    ({**GOOD, "answerable": False}, "an unanswerable question has no answer_keywords"),
    ({**GOOD, "lang": "de"}, "lang must be one of nl, en"),
    ({**GOOD, "kind": "opinion"}, "kind must be one of"),
    ({**GOOD, "sources": [{"doc": "doc9", "quote": "x"}]}, "gold source 'doc9' is not in the index"),
    ({**GOOD, "sources": [{"doc": "doc1", "quote": "26 miljoen"}]}, "gold quote '26 miljoen' is not in article doc1"),
])
def test_a_bad_line_names_its_line_number(tmp_path, line, message):
    path = write_jsonl(tmp_path / "questions.jsonl", [{**GOOD, "id": "ok"}, "", line])
    with pytest.raises(QuestionSetError) as caught:
        load_questions(path, ARTICLE)
    assert caught.value.problems == [caught.value.problems[0]]
    assert caught.value.problems[0].startswith("questions.jsonl:3: ")
    assert message in caught.value.problems[0]


def test_all_bad_lines_are_collected(tmp_path):
    path = write_jsonl(tmp_path / "questions.jsonl", [GOOD, "{", GOOD, {**GOOD, "id": "b", "lang": "fr"}])
    with pytest.raises(QuestionSetError) as caught:
        load_questions(path, ARTICLE)
    problems = caught.value.problems
    assert [p.split(": ")[0] for p in problems] == ["questions.jsonl:2", "questions.jsonl:3", "questions.jsonl:4"]
    assert "duplicate id 'q1' (first on line 1)" in problems[1]
    assert isinstance(caught.value, InputError) and str(caught.value).startswith("questions.jsonl:2: not valid JSON")


def test_unreadable_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="no such question file"):
        load_questions(tmp_path / "missing.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="no questions"):
        load_questions(tmp_path / "empty.jsonl")
    (tmp_path / "binary.jsonl").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="cannot read"):
        load_questions(tmp_path / "binary.jsonl")


# -- CSV --------------------------------------------------------------------------------------------
def test_csv_with_question_and_answer_only(tmp_path):
    path = tmp_path / "set.csv"
    path.write_text('question,answer\n"Hoeveel geld, in dollars?",25 miljoen dollar.\n'
                    "Who won the World Cup in 2022?,\n", encoding="utf-8")
    first, second = load_questions(path)
    assert (first.id, first.question, first.answer, first.lang) == ("set-2", "Hoeveel geld, in dollars?", "25 miljoen dollar.", "nl")
    assert (second.answer, second.lang, second.answerable) == ("", "en", True)


def test_csv_optional_columns(tmp_path):
    path = tmp_path / "set.csv"
    path.write_text("id,question,answer,answer_keywords,doc,quote,answerable,kind,lang,history\n"
                    'a,Hoeveel?,25 miljoen.,25 miljoen|25 million; dollar,doc1,25 miljoen dollar,yes,fact,nl,"[{""role"": ""user"", ""content"": ""Wie?""}]"\n'
                    "b,Wie won de Tour?,,,,,false,unanswerable,nl,\n", encoding="utf-8")
    a, b = load_questions(path, ARTICLE)
    assert a.answer_keywords == [["25 miljoen", "25 million"], ["dollar"]]
    assert a.sources == [GoldSource("doc1", "25 miljoen dollar")]
    assert a.history == [{"role": "user", "content": "Wie?"}]
    assert (b.answerable, b.kind) == (False, "unanswerable")


def test_csv_errors_name_their_lines(tmp_path):
    path = tmp_path / "set.csv"
    path.write_text('question,answer,answerable\nEen?,Ja,maybe\n"Twee\nregels?",Ja,true\nDrie?,Ja,1,extra\n',
                    encoding="utf-8")
    with pytest.raises(QuestionSetError) as caught:
        load_questions(path)
    assert caught.value.problems == ["set.csv:2: answerable must be true or false, not 'maybe'",
                                     "set.csv:5: more fields than the header has columns"]
    (tmp_path / "nohead.csv").write_text("vraag,antwoord\nx,y\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match="nohead.csv:1: a CSV question file needs `question` and `answer`"):
        load_questions(tmp_path / "nohead.csv")


# -- RAGAS field names ------------------------------------------------------------------------------
def test_ragas_names_map_contexts_to_sources(tmp_path):
    row = {"user_input": "Hoe lang duurt het bezoek van Xi?", "reference": "Drie dagen.",
           "reference_contexts": ["Het bezoek van Xi duurt drie dagen.", "Een tekst uit een ander corpus."],
           "response": "ignored", "retrieved_contexts": ["ignored"]}
    (q,) = load_questions(write_jsonl(tmp_path / "ragas.jsonl", [row]), ARTICLE)
    assert (q.question, q.answer) == ("Hoe lang duurt het bezoek van Xi?", "Drie dagen.")
    assert q.sources == [GoldSource("doc2", "Het bezoek van Xi duurt drie dagen.")]
    assert q.contexts == ["Een tekst uit een ander corpus."]  # not found verbatim: kept as text
    (unlocated,) = load_questions(write_jsonl(tmp_path / "ragas2.jsonl", [row]))  # no index: all kept as text
    assert unlocated.sources == [] and len(unlocated.contexts) == 2


def test_ragas_multi_turn_user_input(tmp_path):
    row = {"user_input": [{"type": "human", "content": "Wie bezoekt Rusland?"}, {"type": "ai", "content": "Xi."},
                          {"type": "human", "content": "Hoe lang?"}], "reference": "Drie dagen."}
    (q,) = load_questions(write_jsonl(tmp_path / "ragas.jsonl", [row]))
    assert q.question == "Hoe lang?"
    assert q.history == [{"role": "user", "content": "Wie bezoekt Rusland?"}, {"role": "assistant", "content": "Xi."}]


def test_ragas_csv(tmp_path):
    path = tmp_path / "ragas.csv"
    path.write_text('user_input,reference,reference_contexts\nHoe lang?,Drie dagen.,"[""duurt drie dagen""]"\n',
                    encoding="utf-8")
    (q,) = load_questions(path, ARTICLE)
    assert q.sources == [GoldSource("doc2", "duurt drie dagen")]


def test_a_timeline_question_carries_its_gold_dates():
    row = {**GOOD, "kind": "timeline", "dates": ["2021-03", "2023-03"]}
    q = parse_question(row)
    assert q.dates == ["2021-03", "2023-03"] and q.to_json()["dates"] == ["2021-03", "2023-03"]


@pytest.mark.parametrize("row, message", [
    ({**GOOD, "kind": "timeline"}, "gold dates"),
    ({**GOOD, "kind": "timeline", "dates": ["maart 2021"]}, "not a date"),
    ({**GOOD, "kind": "timeline", "dates": "2021"}, "list of ISO dates"),
])
def test_a_timeline_question_without_valid_dates_is_rejected(row, message):
    from eval.questions import _Bad

    with pytest.raises(_Bad, match=message):
        parse_question(row)


@pytest.mark.parametrize("name", ["yesno_tune", "yesno_holdout", "yesno_trial", "yesno_train", "yesno_holdout2"])
def test_every_question_of_a_yes_no_set_is_read_as_yes_no(name):
    """rag.decide.yes_no decides which answers may say "Nee." and which rules apply (rag.modality):
    the yes/no sets, two of them written blind, hold no question it misses or reads as asking which."""
    from rag.decide import yes_no

    missed = [q.id for q in load_questions(ROOT / "eval" / f"{name}.jsonl") if not yes_no(q.question)]
    assert missed == []
