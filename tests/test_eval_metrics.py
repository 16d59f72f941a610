"""Every eval metric on small hand-made cases whose answers are worked out by hand."""

from __future__ import annotations

import math

import pytest

from eval import metrics as m
from eval.judge import answer_correctness, faithfulness, parse_score
from eval.report import compare, fail_under, flips, parse_gates
from rag.answer import REFUSALS
from rag.errors import InputError
from tests.fakes import scripted_llm

GOLD = [("a", 100, 150)]
TWO_GOLD = [("a", 100, 150), ("b", 0, 40)]


# -- spans ------------------------------------------------------------------------------------------
def test_quote_span_finds_the_first_occurrence():
    articles = {"a": "xx foo yy foo"}
    assert m.quote_span("a", "foo", articles) == ("a", 3, 6)
    assert m.quote_span("a", "bar", articles) is None
    assert m.quote_span("missing", "foo", articles) is None
    assert m.quote_span("a", "", articles) is None


@pytest.mark.parametrize("a, b, expected", [
    (("a", 0, 10), ("a", 5, 15), True),     # partial overlap
    (("a", 0, 10), ("a", 10, 20), False),   # touching: half-open ranges share nothing
    (("a", 10, 20), ("a", 0, 10), False),   # touching, other side
    (("a", 0, 10), ("a", 9, 10), True),     # one shared character
    (("a", 0, 100), ("a", 40, 50), True),   # containment
    (("a", 40, 50), ("a", 0, 100), True),
    (("a", 0, 10), ("b", 0, 10), False),    # same span, other article
    (("a", 5, 5), ("a", 0, 10), False),     # an empty span overlaps nothing
])
def test_overlaps(a, b, expected):
    assert m.overlaps(a, b) is expected
    assert m.overlaps(b, a) is expected


# -- retrieval --------------------------------------------------------------------------------------
def test_hit_at_k():
    retrieved = [("a", 0, 50), ("b", 100, 200), ("a", 140, 300)]
    assert m.hit_at_k(retrieved, GOLD, 1) == 0.0
    assert m.hit_at_k(retrieved, GOLD, 2) == 0.0  # right span, wrong article does not count
    assert m.hit_at_k(retrieved, GOLD, 3) == 1.0
    assert m.hit_at_k([], GOLD, 5) == 0.0
    assert m.hit_at_k(retrieved, [], 5) is None


def test_hit_needs_overlap_not_adjacency():
    assert m.hit_at_k([("a", 0, 100), ("a", 150, 200)], GOLD, 2) == 0.0


def test_recall_at_k():
    retrieved = [("b", 10, 20), ("c", 0, 999), ("a", 0, 101)]
    assert m.recall_at_k(retrieved, TWO_GOLD, 1) == 0.5
    assert m.recall_at_k(retrieved, TWO_GOLD, 2) == 0.5
    assert m.recall_at_k(retrieved, TWO_GOLD, 3) == 1.0
    assert m.recall_at_k(retrieved, [], 3) is None


def test_reciprocal_rank():
    assert m.reciprocal_rank([("a", 0, 10), ("a", 120, 130)], GOLD) == 0.5
    assert m.reciprocal_rank([("a", 120, 130)], GOLD) == 1.0
    assert m.reciprocal_rank([("a", 0, 10)], GOLD) == 0.0
    assert m.reciprocal_rank([], GOLD) == 0.0
    assert m.reciprocal_rank([("a", 0, 10)], []) is None


def test_ndcg_single_gold():
    assert m.ndcg_at_k([("a", 100, 120)], GOLD, 5) == 1.0
    # relevant at rank 2: DCG = 1/log2(3), IDCG = 1
    assert m.ndcg_at_k([("x", 0, 9), ("a", 100, 120)], GOLD, 5) == pytest.approx(1 / math.log2(3))
    # a redundant second chunk over the same quote gains nothing
    assert m.ndcg_at_k([("a", 100, 120), ("a", 120, 150)], GOLD, 5) == 1.0
    assert m.ndcg_at_k([("x", 0, 9), ("a", 100, 120)], GOLD, 1) == 0.0
    assert m.ndcg_at_k([], GOLD, 5) == 0.0
    assert m.ndcg_at_k([("a", 0, 1)], [], 5) is None


def test_ndcg_two_golds():
    # gold b at rank 1, gold a at rank 3: DCG = 1 + 1/2; IDCG = 1 + 1/log2(3)
    retrieved = [("b", 0, 10), ("x", 0, 10), ("a", 140, 160)]
    assert m.ndcg_at_k(retrieved, TWO_GOLD, 3) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    # with k = 1 the ideal finds only one gold: one found at rank 1 is perfect
    assert m.ndcg_at_k(retrieved, TWO_GOLD, 1) == 1.0
    # one chunk covering both gold quotes of one article beats the ideal and is capped at 1
    same_doc = [("a", 0, 10), ("a", 20, 30)]
    assert m.ndcg_at_k([("a", 0, 30)], same_doc, 3) == 1.0


# -- answers ----------------------------------------------------------------------------------------
def test_fold_is_case_and_accent_insensitive():
    assert m.fold("Oekraïne CAFÉ Ñandú") == "oekraine cafe nandu"


def test_keyword_match_every_group_one_alternative():
    groups = [["25 miljoen", "25 million"], ["Blinken"]]
    assert m.keyword_match("Blinken zegde 25 miljoen dollar toe [1].", groups) is True
    assert m.keyword_match("Blinken pledged 25 MILLION dollars.", groups) is True
    assert m.keyword_match("Blinken zegde geld toe.", groups) is False
    assert m.keyword_match("Zo'n 25 miljoen.", groups) is False
    assert m.keyword_match("anything", []) is None


def test_keyword_match_accents_and_whitespace():
    assert m.keyword_match("De Oekraine-oorlog", [["Oekraïne"]]) is True
    assert m.keyword_match("De Oekraïne-oorlog", [["oekraine"]]) is True
    assert m.keyword_match("Australië, Japan", [["australie"]]) is True
    assert m.keyword_match("25\nmiljoen", [["25 miljoen"]]) is True
    # a keyword is used as written: the trailing space matters
    assert m.keyword_match("none", [["no "]]) is False
    assert m.keyword_match("no troops", [["no "]]) is True


def test_answer_tokens_squad_style():
    assert m.answer_tokens("De C5+1 is in 2015 opgericht [1].") == ["c5", "1", "is", "in", "2015", "opgericht"]
    assert m.answer_tokens("The café, an Oekraïne-story!") == ["cafe", "oekraine", "story"]


def test_token_f1_known_values():
    assert m.token_f1("Drie dagen.", "drie dagen") == 1.0
    # pred: drie dagen lang (3), ref: drie dagen (2), common 2: P 2/3, R 1 -> F1 0.8
    assert m.token_f1("Drie dagen lang.", "Drie dagen.") == pytest.approx(0.8)
    assert m.token_f1("Astana", "Moskou") == 0.0
    assert m.token_f1("", "") == 1.0
    assert m.token_f1("iets", "") == 0.0
    assert m.token_f1("Het café", "cafe") == 1.0  # article dropped, accent folded
    # multiset: a repeated token counts as often as both sides have it
    assert m.token_f1("ja ja", "ja") == pytest.approx(2 * 0.5 * 1 / 1.5)


def test_language_match():
    assert m.language_match("De C5+1 is in 2015 opgericht [1].", "nl") is True
    assert m.language_match("The group was founded in 2015 [1].", "nl") is False
    assert m.language_match("The group was founded in 2015 [1].", "en") is True
    assert m.language_match(REFUSALS["nl"], "nl") is True
    assert m.language_match(REFUSALS["en"], "en") is True
    assert m.language_match(REFUSALS["en"], "nl") is False
    # an English sentence quoting the Dutch article is English
    assert m.language_match("The article (in Dutch) says: „Hij zegde de regio 25 miljoen dollar toe.” [1].", "en")
    # ... also when the quote holds a quotation itself (trial 12: "The article (in Dutch) says: „Via zijn
    # advocaat … dat hij „nooit bewust gegevens heeft vervalst” en dat de commissie …”" counted as Dutch)
    assert m.language_match("The article (in Dutch) says: „Hij liet weten dat hij „nooit bewust gegevens heeft "
                            "vervalst” en dat de commissie slordigheden in zijn administratie aanziet voor fraude.” [2].", "en")
    # ... or opens a quotation that its next sentence closes (the probe holdout)
    assert m.language_match("The article (in Dutch) says: „Algemeen directeur Marco Verschoor erkent dat er te veel is "
                            "uitgegeven. „We hebben gegokt op promotie en dat is niet gelukt.” [1].", "en")
    # each line apart: a timeline's lines
    assert m.language_match("March 2024: The article (in Dutch) says: „Het is een zwarte dag.” [1].\n"
                            "September 2025: The article (in Dutch) says: „Het programma gaat op de schop.” [2].", "en")
    # ... or runs over two lines
    assert m.language_match("The article (in Dutch) says: „Hij zegt dat het programma\nop de schop gaat.” [1].", "en")
    # two quotes are two: the words between them are the answer's (a Dutch answer stays Dutch)
    assert m.language_match("„Slordig”, zei hij, en volgens de commissie is het „fraude” [1].", "en") is False
    assert m.language_match("„Slordig”, the committee said, while Olthof called it „nooit bewust” [1].", "en")
    assert m.language_match("Astana [1].", "en") is None  # cannot be told


# -- citations --------------------------------------------------------------------------------------
def test_citation_precision():
    cited = [("a", 110, 120), ("a", 0, 50), ("b", 0, 10)]
    assert m.citation_precision(cited, GOLD) == pytest.approx(1 / 3)
    assert m.citation_precision(cited, TWO_GOLD) == pytest.approx(2 / 3)
    assert m.citation_precision([("a", 150, 160)], GOLD) == 0.0  # touching the gold span is not enough
    assert m.citation_precision([], GOLD) is None
    assert m.citation_precision([("a", 110, 120)], []) == 0.0


def test_citation_recall():
    assert m.citation_recall([("a", 110, 120)], TWO_GOLD) == 0.5
    assert m.citation_recall([("a", 110, 120), ("b", 30, 35)], TWO_GOLD) == 1.0
    assert m.citation_recall([], TWO_GOLD) == 0.0
    assert m.citation_recall([("a", 110, 120)], []) is None


def test_unsupported_share():
    assert m.unsupported_share([True, False, True, False]) == 0.5
    assert m.unsupported_share([True]) == 0.0
    assert m.unsupported_share([]) is None


# -- abstention -------------------------------------------------------------------------------------
def test_abstention_precision_and_recall():
    abstained = [True, True, False, True, False]
    answerable = [False, True, False, False, True]
    # tp: 0 and 3; fp: 1 (an answerable question refused); fn: 2
    assert m.abstention_scores(abstained, answerable) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert m.abstention_scores([False, False], [True, False]) == (None, 0.0)
    assert m.abstention_scores([True], [True]) == (0.0, None)
    assert m.abstention_scores([], []) == (None, None)


# -- latency and means ------------------------------------------------------------------------------
def test_percentile_interpolates_like_numpy():
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert m.percentile(values, 50) == 3.0
    assert m.percentile(values, 95) == pytest.approx(4 + 0.8 * 6)
    assert m.percentile([7.0], 95) == 7.0
    assert m.percentile([], 50) is None
    assert m.percentile([4.0, 1.0], 50) == 2.5


def test_latency_per_stage():
    got = m.latency([{"retrieve": 1.0, "total": 2.0}, {"retrieve": 3.0, "generate": 5.0, "total": 9.0}])
    assert got["retrieve"] == {"p50": 2.0, "p95": pytest.approx(2.9), "n": 2}
    assert got["generate"] == {"p50": 5.0, "p95": 5.0, "n": 1}


def test_mean_skips_undefined():
    assert m.mean([1.0, None, 0.0, True]) == pytest.approx(2 / 3)
    assert m.mean([None, None]) is None


# -- judged metrics (a scripted model stands in for the judge: the parsing is what is tested) ------
def test_parse_score():
    assert parse_score("0.75") == 0.75
    assert parse_score("Score: 0,5 because ...") == 0.5
    assert parse_score("1") == 1.0
    assert parse_score("7 out of 10") is None
    assert parse_score("no idea") is None


def test_judged_metrics_take_the_judge_as_an_argument():
    judge = scripted_llm("0.8", "Ik geef 1.")
    assert faithfulness("q?", "Een antwoord.", ["een passage"], judge) == 0.8
    assert answer_correctness("q?", "Een antwoord.", "Het antwoord.", judge) == 1.0
    assert faithfulness("q?", "Een antwoord.", [], judge) is None  # asks nothing without passages
    assert answer_correctness("q?", "Een antwoord.", "", judge) is None


# -- gates and deltas -------------------------------------------------------------------------------
def test_fail_under():
    metrics = {"answer_accuracy": 0.55, "hit@k": 0.9, "unsupported_share": 0.3, "abstention_precision": None}
    assert fail_under(["hit@k=0.8"], metrics) == []
    assert fail_under(["answer_accuracy=0.6", "hit@k=0.9"], metrics) == ["answer_accuracy = 0.550 is below 0.6"]
    assert fail_under(["unsupported_share=0.2"], metrics) == ["unsupported_share = 0.300 is above 0.2"]
    assert fail_under(["abstention_precision=0.5"], metrics) == ["abstention_precision is undefined in this run (gate 0.5)"]


@pytest.mark.parametrize("spec", ["answer_accuracy", "accuracy=0.5", "hit@k=high", "=0.3"])
def test_bad_gates_are_input_errors(spec):
    with pytest.raises(InputError, match="--fail-under"):
        parse_gates([spec])


def test_compare_and_flips():
    old = {"metrics": {"hit@k": 0.5, "unsupported_share": 0.2, "mrr": None},
           "by_kind": {"fact": {"hit@k": 1.0}}, "by_lang": {},
           "questions": [{"id": "q1", "passed": True}, {"id": "q2", "passed": False}]}
    new = {"metrics": {"hit@k": 0.75, "unsupported_share": 0.1, "mrr": 0.5},
           "by_kind": {"fact": {"hit@k": 0.5}, "trap": {"hit@k": 1.0}}, "by_lang": {},
           "questions": [{"id": "q1", "passed": False}, {"id": "q2", "passed": True}]}
    deltas = {(d.scope, d.metric): d for d in compare(old, new)}
    assert set(deltas) == {("overall", "hit@k"), ("overall", "unsupported_share"), ("kind:fact", "hit@k")}
    assert deltas["overall", "hit@k"].delta == pytest.approx(0.25) and deltas["overall", "hit@k"].better
    assert deltas["overall", "unsupported_share"].better  # lower is better
    assert not deltas["kind:fact", "hit@k"].better
    assert flips(old, new) == (["q1"], ["q2"])


# -- timelines ------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer, gold, expected", [
    (["2021-03", "2023-03"], ["2021-03", "2023-03"], 1.0),
    (["2021-03"], ["2021-03", "2023-03"], 2 * 1.0 * 0.5 / 1.5),  # P 1, R 0.5
    (["2021-03", "2022-05", "2023-03"], ["2021-03", "2023-03"], 2 * (2 / 3) * 1.0 / (2 / 3 + 1)),
    (["2021-03", "2021-03", "2023-03"], ["2021", "2023-03-15"], 1.0),  # repeats count once; coarser dates agree
    (["2021-07"], ["2021-03"], 0.0),
    ([], ["2021-03"], 0.0),  # a refusal or an answer that is no timeline
    (["2021-03"], [], None),
])
def test_timeline_dates_is_the_f1_of_answer_and_gold_dates(answer, gold, expected):
    result = m.timeline_dates(answer, gold)
    assert result == expected if expected is None else math.isclose(result, expected)


@pytest.mark.parametrize("dates, expected", [
    (["2021-03", "2023-03"], True), (["2023-03", "2021-03"], False), (["2021-03", "2021-03", "2023"], True),
    (["2021-03", ""], True), (["", "2021-03"], False), (["2021-03"], None), ([], None),
])
def test_timeline_order_asks_oldest_first(dates, expected):
    assert m.timeline_order(dates) is expected


def test_phrased_tells_the_models_own_wording_from_the_quote_fallback():
    from rag.answer import NOT_ANSWERED, QUOTED

    assert m.phrased(["", "cited [2] instead"]) is True
    assert m.phrased([QUOTED]) is False
    assert m.phrased(["", QUOTED]) is True  # one part phrased, the other quoted
    assert m.phrased([QUOTED, NOT_ANSWERED]) is False  # a quote and "the articles don't answer …"
    assert m.phrased([]) is None
