"""The pure functions that shape replies, sources and the "Waarom dit antwoord" view.

Markdown output is rendered with markdown-it (CommonMark, raw HTML enabled, like the chat's
renderer) to check what a browser would get, not just the string we built.
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from ingest.pipeline import IngestReport
from rag.answer import ACROSS_LANGUAGES, REFUSALS, Answer, AnswerSentence, Citation, Source
from ui import render

ARTICLE = ("„We letten er goed op of de sancties gerespecteerd worden”, zei Blinken in Centraal-Azië. "
           "Hij zegde de regio 25 miljoen dollar extra toe om economische groei te ondersteunen. "
           "De C5+1 is in 2015 opgericht.")
QUOTE_1 = "Hij zegde de regio 25 miljoen dollar extra toe om economische groei te ondersteunen."
QUOTE_2 = "„We letten er goed op of de sancties gerespecteerd worden”, zei Blinken in Centraal-Azië."
EVIL = '<script>alert(1)</script> [link](javascript:alert(1)) <img src=x onerror="alert(2)"> **vet** $$x$$'


def md_html(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).render(markdown)


def span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


def source(n: int, doc_id: str = "blinken", *, text: str = ARTICLE, start: int = 0, date: str = "2023-03",
           title: str = "Blinken in Centraal-Azië", score: float = 0.9) -> Source:
    return Source(n=n, chunk_id=f"{doc_id}:{n}", doc_id=doc_id, title=title, date=date, text=text, start=start,
                  end=start + len(text), score=score)


def citation(n: int, quote: str, doc_id: str = "blinken", text: str = ARTICLE, score: float = 0.91) -> Citation:
    start, end = span(text, quote)
    return Citation(n=n, doc_id=doc_id, title="Blinken in Centraal-Azië", date="2023-03", quote=quote,
                    start=start, end=end, score=score)


def blinken_answer(**changes) -> Answer:
    answer = Answer(
        question="Hoeveel extra geld zegde hij toe?", answer="Blinken zegde 25 miljoen dollar toe [1].",
        language="nl",
        sentences=[AnswerSentence(text="Blinken zegde 25 miljoen dollar toe.", citations=[1])],
        citations=[citation(1, QUOTE_1)],
        sources=[source(1, score=0.912), source(2, "xi", text="Xi bezocht Moskou.", title="Xi in Moskou",
                                                score=0.801)],
        standalone_query="Welke groep ontmoette Blinken? Hoeveel extra geld zegde hij toe?",
        filters={"since": "2023-01", "until": "2023-12", "phrase": "in 2023"},
        timings={"embed": 0.021, "retrieve": 0.0134, "generate": 6.52, "check": 0.25},
        model="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", mode="local",
    )
    return answer.model_copy(update=changes)


# -- chat messages ---------------------------------------------------------------------------------

def test_citation_markers_become_links_to_source_anchors():
    md = render.answer_markdown(blinken_answer())
    assert "[[1]](#src-1)" in md
    assert '<a href="#src-1">[1]</a>' in md_html(md)
    assert md_html(md).count("<a ") == 1


def test_several_citations_on_one_sentence_each_link():
    answer = blinken_answer(sentences=[AnswerSentence(text="Zo is het.", citations=[1, 2])])
    html = md_html(render.answer_markdown(answer))
    assert '<a href="#src-1">[1]</a><a href="#src-2">[2]</a>.' in html


def test_streamed_text_links_known_markers_only_and_shows_a_cursor():
    md = render.stream_markdown("Het was 25 miljoen dollar [1]. Zie ook [7] en [1, 2]", numbers=[1, 2])
    html = md_html(md)
    assert '<a href="#src-1">[1]</a>' in html and '<a href="#src-2">[2]</a>' in html
    assert "[7]" in html and "#src-7" not in html
    assert md.endswith("▍")
    assert not render.stream_markdown("klaar", cursor=False).endswith("▍")


@pytest.mark.parametrize("make", [
    lambda text: render.answer_markdown(blinken_answer(sentences=[AnswerSentence(text=text, citations=[1])])),
    lambda text: render.stream_markdown(text, [1]),
    lambda text: render.answer_markdown(blinken_answer(sentences=[], answer=text)),
])
def test_model_text_is_shown_as_text_not_markup(make):
    html = md_html(make(EVIL))
    assert "<script" not in html and "<img" not in html and "<strong>" not in html
    assert "javascript:" not in re.findall(r'href="([^"]*)"', html).__str__()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[link](javascript:alert(1))" in html  # the literal text, visible
    assert "**vet**" in html and "$$x$$" in html


def test_markdown_block_syntax_at_line_starts_is_literal():
    html = md_html(render.escape_markdown("# kop\n    code\n> citaat\n1. lijst\n- punt\n---"))
    for tag in ("<h1", "<pre", "<blockquote", "<ol", "<ul", "<hr"):
        assert tag not in html
    assert "# kop" in html and "1. lijst" in html


def test_abstention_is_a_notice_with_the_localized_refusal():
    for lang in ("nl", "en"):
        answer = blinken_answer(abstained=True, language=lang, answer=REFUSALS[lang], sentences=[], citations=[],
                                abstain_reason="no passage is close enough to the question")
        md = render.answer_markdown(answer)
        assert 'class="nr-abstain"' in md and REFUSALS[lang] in md
        assert "#src-" not in md


def test_a_sentence_worded_across_languages_is_marked_to_compare_with_its_quote():
    answer = blinken_answer(language="en", sentences=[
        AnswerSentence(text="Blinken promised the region 25 million dollars.", citations=[1], note=ACROSS_LANGUAGES)])
    html = md_html(render.answer_markdown(answer))
    assert '<span class="nr-across" title="The model&#x27;s wording of a source in another language: compare ' \
           'with the quote">Blinken promised' in html
    assert "nr-unsupported" not in html


def test_unsupported_sentence_is_marked():
    answer = blinken_answer(sentences=[
        AnswerSentence(text="Blinken zegde 25 miljoen dollar toe.", citations=[1]),
        AnswerSentence(text="Hij <b>lachte</b>.", supported=False, note='no source supports "this"'),
    ])
    html = md_html(render.answer_markdown(answer))
    assert html.count("nr-unsupported") == 1
    assert '<span class="nr-unsupported" title="no source supports &quot;this&quot;">⚠ Hij &lt;b&gt;lachte' in html
    assert "<b>" not in html


# -- sources panel ---------------------------------------------------------------------------------

def test_cited_source_shows_title_date_doc_id_and_marks_the_quote_by_span():
    html = render.sources_html(blinken_answer(), {"blinken": ARTICLE})
    cited = html.split('<details class="nr-more">')[0]
    assert 'id="src-1"' in cited and "Blinken in Centraal-Azië" in cited and "2023-03" in cited
    assert "<code>blinken</code>" in cited
    assert f"<mark>{QUOTE_1}</mark>" in cited
    assert "25 miljoen dollar" in re.findall(r"<mark>(.*?)</mark>", cited)[0]


def test_several_quotes_and_non_ascii_text_are_marked_at_their_spans():
    answer = blinken_answer(citations=[citation(1, QUOTE_1), citation(1, QUOTE_2)])
    html = render.sources_html(answer, {"blinken": ARTICLE})
    assert re.findall(r"<mark>(.*?)</mark>", html) == [QUOTE_2, QUOTE_1]  # in article order
    assert "„We letten" in html and "Centraal-Azië" in html  # kept as characters, not mangled


def test_overlapping_and_out_of_range_spans_are_merged_and_clipped():
    assert render.highlight("abcdef", [(1, 3), (2, 5), (9, 12), (4, 4)]) == "a<mark>bcde</mark>f"
    assert render.highlight("abc", [(-5, 1)]) == "<mark>a</mark>bc"


def test_article_html_is_escaped_before_marking_even_when_a_span_cuts_through_a_tag():
    text = "Intro <script>alert(1)</script> en <img src=x onerror=alert(2)> & [link](javascript:alert(1))."
    html = render.highlight(text, [(text.index("ript>al"), text.index("ript>al") + 7)])
    assert "<script" not in html and "<img" not in html
    assert "&lt;sc<mark>ript&gt;al</mark>ert(1)&lt;/script&gt;" in html
    assert "&amp; [link](javascript:alert(1))" in html
    answer = blinken_answer(citations=[Citation(n=1, doc_id="blinken", title="t", date="", quote="<script>",
                                                start=6, end=14, score=0.9)])
    panel = render.sources_html(answer, {"blinken": text})
    assert "<mark>&lt;script&gt;</mark>" in panel and "<script" not in panel and "<img" not in panel


def test_titles_and_doc_ids_are_escaped_too():
    evil = source(1, doc_id='x"><img src=x onerror=alert(1)>', title="<script>alert(1)</script>")
    answer = blinken_answer(sources=[evil], citations=[citation(1, QUOTE_1, doc_id=evil.doc_id)])
    for html in (render.sources_html(answer, {evil.doc_id: ARTICLE}), render.pending_sources_html([evil]),
                 render.why_html(answer)):
        assert "<script" not in html and "<img" not in html
        assert "&lt;script&gt;" in html


def test_uncited_sources_are_collapsed_below_the_cited():
    html = render.sources_html(blinken_answer(), {"blinken": ARTICLE})
    before, details = html.split('<details class="nr-more">')
    assert 'id="src-1"' in before and 'id="src-2"' not in before
    assert 'id="src-2"' in details and "Xi in Moskou" in details and "(1)" in details
    assert "<mark>" not in details
    assert "<details" not in render.sources_html(blinken_answer(sources=[source(1)]), {"blinken": ARTICLE})


def test_date_is_always_shown_even_when_unknown():
    answer = blinken_answer(sources=[source(1, date="")])
    assert "datum onbekend" in render.sources_html(answer, {"blinken": ARTICLE})
    assert "date unknown" in render.pending_sources_html([source(1, date="")], "en")


def test_without_the_article_text_the_passage_is_shown_with_its_span():
    passage = QUOTE_1 + " Meer tekst."
    answer = blinken_answer(sources=[source(1, text=passage, start=500)],
                            citations=[Citation(n=1, doc_id="blinken", title="t", date="d", quote=QUOTE_1,
                                                start=500, end=500 + len(QUOTE_1), score=0.9)])
    html = render.sources_html(answer, {"blinken": None})
    assert f"<mark>{QUOTE_1}</mark> Meer tekst." in html


def test_pending_panel_lists_retrieved_sources():
    html = render.pending_sources_html([source(1), source(2, "xi", title="Xi in Moskou")])
    assert 'id="src-1"' in html and "Xi in Moskou" in html and "geschreven" in html
    assert "Geen passages" in render.pending_sources_html([])


def test_an_abstention_cites_nothing_and_says_so():
    answer = blinken_answer(abstained=True, citations=[], sentences=[])
    html = render.sources_html(answer, {})
    assert "citeert geen bron" in html and "<details" in html


# -- "Waarom dit antwoord" -------------------------------------------------------------------------

def test_why_view_shows_query_filters_chunks_quotes_timings_and_model():
    html = render.why_html(blinken_answer())
    assert "Welke groep ontmoette Blinken? Hoeveel extra geld zegde hij toe?" in html
    assert "<code>2023-01</code>" in html and "<code>2023-12</code>" in html and "in 2023" in html
    assert "0.912" in html and "0.801" in html  # retrieved chunks with scores
    rows = re.findall(r"<tr class=\"([^\"]*)\"><td class=\"nr-num\">\[(\d)\]", html)
    assert rows == [("nr-row-cited", "1"), ("", "2")]
    assert f"“{QUOTE_1}”" in html and "0.910" in html  # cited quote with its score
    for stage in ("embed 21 ms", "retrieve 13 ms", "generate 6.52 s", "check 250 ms", "totaal 6.80 s"):
        assert stage in html
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf" in html and "local" in html


def test_why_view_says_when_no_article_was_from_the_asked_year_and_passages_naming_it_were_used():
    answer = blinken_answer(filters={"since": None, "until": None, "phrase": "", "mentions": "2015"}, language="en")
    assert "no article from that time; passages that name the year: <code>2015</code>" in render.why_html(answer)


def test_why_view_shows_the_probe_on_the_whole_of_a_question_in_parts():
    decision = {"p_answer": 0.62, "threshold": 0.3, "judge": "p_yes", "whole": {"p_answer": 0.62, "judge": "probe"},
                "candidates": [{"source": 1, "text": QUOTE_1, "p_yes": 0.12}]}
    assert "de hele vraag, gelezen door de probe: P = 0.62" in render.why_html(blinken_answer(decision=decision))


def test_why_view_shows_the_question_judged_without_its_premise_clause_as_text():
    decision = {"p_answer": 0.15, "threshold": 0.3, "judge": "probe", "candidates": [{"source": 1, "text": QUOTE_1, "p_yes": 0.7}],
                "premise": {"asked": "Wie is <b>directeur</b>?", "p_answer": 0.15}}
    html = render.why_html(blinken_answer(decision=decision, language="en"))
    assert "the question without what it assumes, “Wie is &lt;b&gt;directeur&lt;/b&gt;?”: P = 0.15" in html
    assert "<b>" not in html


def test_why_view_shows_the_sentence_after_the_chosen_one_for_a_why_question_as_text():
    decision = {"p_answer": 0.9, "threshold": 0.3, "judge": "probe", "why_next": "Nu de banden <b>bevroren</b> zijn.",
                "candidates": [{"source": 1, "text": QUOTE_1, "p_yes": 0.9}]}
    html = render.why_html(blinken_answer(decision=decision, language="en"))
    assert "A why question: the sentence after the chosen one goes to the model too" in html
    assert "Nu de banden &lt;b&gt;bevroren&lt;/b&gt; zijn." in html and "<b>" not in html


@pytest.mark.parametrize("language, heading", [
    ("en", "The sentence after the chosen one gives an amount of money / a date, the chosen one does not"),
    ("nl", "De zin na de gekozen zin geeft een geldbedrag / een datum, de gekozen zin niet"),
])
def test_why_view_shows_the_sentence_after_the_chosen_one_that_holds_what_is_asked_as_text(language, heading):
    decision = {"p_answer": 0.9, "threshold": 0.3, "judge": "probe", "candidates": [{"source": 1, "text": QUOTE_1, "p_yes": 0.9}],
                "next_holds": {"sentence": "Dat kost <i>2.400</i> euro.", "holds": ["money", "date"]}}
    html = render.why_html(blinken_answer(decision=decision, language=language))
    assert heading in html and "Dat kost &lt;i&gt;2.400&lt;/i&gt; euro." in html and "<i>" not in html


def test_why_view_marks_a_sentence_that_names_the_role_holder_asked_for():
    decision = {"p_answer": 0.7, "threshold": 0.3, "judge": "probe",
                "candidates": [{"source": 1, "text": QUOTE_1, "p_yes": 0.7, "holder": True}]}
    answer = blinken_answer(decision=decision, language="en")
    assert "(names who holds that role)" in render.why_html(answer)


def test_why_view_shows_the_abstain_reason_and_no_filters():
    answer = blinken_answer(abstained=True, abstain_reason="no passage is close enough <to> the question",
                            filters={"since": None, "until": None, "phrase": None}, citations=[], sentences=[],
                            language="en")
    html = render.why_html(answer)
    assert "No answer" in html and "no passage is close enough &lt;to&gt; the question" in html
    assert "<dt>Filters</dt><dd>none</dd>" in html


@pytest.mark.parametrize("code, values, dutch, english", [
    ("lacking", {"kinds": ["number", "duration"]}, "geen zin noemt een aantal of een duur",
     "no sentence gives a number or a duration, as asked"),
    ("not_answered", {"p": 0.123, "threshold": 0.3}, "geen zin beantwoordt de vraag (kans 0.12 &lt; drempel 0.3)",
     "no sentence answers the question (P = 0.12 &lt; 0.3)"),
    ("no_article_dated", {"dates": "2019"}, "geen artikel uit de gevraagde tijd (2019)", "no article matches the dates 2019"),
    # the sentence is article text: shown as text, never as markup
    ("only_ahead", {"sentence": "Er worden <b>35.000</b> boeren verwacht."},
     "de beste zin zegt alleen wat verwacht of gepland werd, niet of het gebeurde: „Er worden &lt;b&gt;35.000&lt;/b&gt;",
     "the best sentence says only what was expected or planned, not whether it happened: „Er worden &lt;b&gt;35.000"),
])
def test_the_refusal_reason_is_given_in_the_questions_language(code, values, dutch, english):
    refused = {"abstained": True, "abstain_code": code, "abstain_values": values, "abstain_reason": "(the server's)",
               "citations": [], "sentences": []}
    assert dutch in render.why_html(blinken_answer(**refused))
    assert english in render.why_html(blinken_answer(language="en", **refused))


def test_every_refusal_reason_is_worded_in_both_languages():
    from rag.answer import REFUSAL_REASONS

    assert all(set(wording) == {"en", "nl"} for wording in REFUSAL_REASONS.values())


def test_an_answer_without_a_refusal_code_shows_its_own_reason():
    refused = {"abstained": True, "abstain_reason": "refused by an older server", "citations": [], "sentences": []}
    assert "refused by an older server" in render.why_html(blinken_answer(**refused))


def test_why_view_lists_unsupported_sentences_with_their_notes():
    answer = blinken_answer(sentences=[AnswerSentence(text="Goed.", citations=[1], note="cited [1] instead"),
                                       AnswerSentence(text="Fout.", supported=False, note="no source supports this")])
    html = render.why_html(answer)
    assert "✓ Goed." in html and "cited [1] instead" in html
    assert '<li class="nr-unsupported">⚠ Fout.' in html


def test_why_view_shows_the_decision_per_candidate_and_the_dropped_sentences_as_text():
    answer = blinken_answer(
        decision={"p_answer": 0.91, "threshold": 0.5, "candidates": [
            {"source": 1, "text": "Hij zegde de regio 25 miljoen dollar extra toe.", "p_yes": 0.91},
            {"source": 2, "text": "Xi bezocht <b>Moskou</b>.", "p_yes": 0.12},
            {"source": 2, "text": "Lavrov kwam niet.", "p_yes": 0.7, "correction": True},
            {"source": 3, "text": "Blinken was in de regio.", "p_yes": 0.8, "off_point": True},
            {"source": 3, "text": "Blinken zal Lavrov volgende week zien.", "p_yes": 0.85, "ahead": True},
            {"source": 3, "text": "Het Witte Huis had daar geen trek in.", "p_yes": 0.6, "follows": True},
            {"source": 3, "text": "De schade kwam uit op 83 miljoen.", "p_yes": 0.3, "line": True}]},
        dropped=[AnswerSentence(text="GEHACKT <script>", supported=False, note="no source supports this")])
    html = render.why_html(answer)
    assert "P = 0.91" in html and "drempel 0.5" in html and "0.12" in html
    assert "Xi bezocht &lt;b&gt;Moskou&lt;/b&gt;." in html and "<b>Moskou" not in html
    assert "Weggelaten" in html and "GEHACKT &lt;script&gt;" in html
    # a candidate that code counted as a correction says so; the others do not
    assert html.count("ontkent wat de vraag aanneemt") == 1 and "Lavrov kwam niet. <span" in html
    assert html.count("deelt alleen het onderwerp") == 1 and "Blinken was in de regio. <span" in html  # rag.decide.off_point
    assert html.count("kijkt alleen vooruit") == 1 and "volgende week zien. <span" in html  # rag.modality
    assert html.count("volgt op een zin") == 1 and "geen trek in. <span" in html  # rag.evidence.carried
    assert html.count("de regel van dit artikel") == 1 and "83 miljoen. <span" in html  # a timeline's line
    assert "verborgen toestand" not in html  # P(Yes): nothing to say


def test_why_view_says_when_the_probe_gave_the_probabilities():
    answer = blinken_answer(decision={"p_answer": 0.6, "threshold": 0.3, "judge": "probe", "candidates": [
        {"source": 1, "text": "Hij zegde de regio 25 miljoen dollar extra toe.", "p_yes": 0.6}]})
    assert "drempel 0.3 · gelezen uit de verborgen toestand van het model" in render.why_html(answer)


def test_why_view_lists_the_sentences_that_lacked_the_kind_of_answer_asked_for_as_text():
    answer = blinken_answer(decision={"p_answer": 0.0, "threshold": 0.3, "candidates": [],
                                      "lacking": {"asks_for": ["number"],
                                                  "sentences": ["De haven verwerkte <i>meer</i> containers."]}})
    html = render.why_html(answer)
    assert "de vraag vraagt om een aantal, deze zinnen noemen er geen" in html
    assert "De haven verwerkte &lt;i&gt;meer&lt;/i&gt; containers." in html and "<i>meer" not in html
    assert "Niet voorgelegd" not in render.why_html(blinken_answer(decision={}))


# -- ingest status ---------------------------------------------------------------------------------

def test_ingest_summary_counts_and_skipped_reasons():
    report = IngestReport(added=["a", "b"], unchanged=["c"], skipped=["leeg.txt: empty file",
                                                                    "x.jsonl:3: invalid JSON <b>"],
                          chunks_embedded=7)
    md = render.ingest_summary(report, articles_total=5)
    first = md.splitlines()[0]
    assert "2 added" in first and "1 unchanged" in first and "2 skipped" in first and "7 chunks" in first
    assert "5 articles" in first
    html = md_html(md)
    assert "leeg.txt: empty file" in html and "invalid JSON &lt;b&gt;" in html and "<b>" not in html


def timeline_answer(title: str = "Lavrov in China") -> Answer:
    old = source(2, "lavrov", text="Lavrov bezocht Wang Yi.", date="2021-03", title=title)
    new = source(1, "blinken", date="2023-03")
    return Answer(question="Hoe ontwikkelde de relatie zich sinds 2021?", language="nl",
                  answer="maart 2021: Lavrov bezocht Wang Yi [2].\nmaart 2023: Hij zegde 25 miljoen dollar toe [1].",
                  sentences=[AnswerSentence(text="maart 2021: Lavrov bezocht Wang Yi.", citations=[2]),
                             AnswerSentence(text="maart 2023: Hij zegde 25 miljoen dollar toe.", citations=[1])],
                  sources=[new, old], decision={"timeline": [{"date": "2021-03", "n": 2}, {"date": "2023-03", "n": 1}]})


def test_a_timeline_answer_is_a_list_of_dated_lines():
    html = md_html(render.answer_markdown(timeline_answer()))
    items = re.findall(r"<li>(.*?)</li>", html, re.S)
    assert len(items) == 2 and items[0].startswith("maart 2021: Lavrov") and items[1].startswith("maart 2023: ")
    assert 'href="#src-2"' in items[0] and 'href="#src-1"' in items[1]


def test_a_dated_answer_from_two_articles_is_a_list_without_a_date_line():
    answer = timeline_answer()
    answer.decision = {"dated": True}  # rag.chain: a question about time answered from two dated articles
    items = re.findall(r"<li>(.*?)</li>", md_html(render.answer_markdown(answer)), re.S)
    assert len(items) == 2 and items[1].startswith("maart 2023: Hij zegde") and render.timeline_html(answer) == ""


def test_a_timeline_puts_its_sources_on_a_date_line_oldest_first_and_escaped():
    html = render.timeline_html(timeline_answer(title=EVIL))
    assert html.index("maart 2021") < html.index("maart 2023") and 'href="#src-2"' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert render.timeline_html(timeline_answer()) in render.sources_html(timeline_answer(), {})


def test_an_ordinary_answer_has_no_date_line():
    answer = timeline_answer()
    answer.decision = {}
    assert render.timeline_html(answer) == "" and "<li>" not in md_html(render.answer_markdown(answer))
