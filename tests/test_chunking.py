"""Chunking: spans into the exact article text, whole sentences, section headings, stable ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import MAX_CHARS, chunk_article
from ingest.loaders import is_caption, is_heading, load_articles, load_file
from rag.documents import Article
from rag.sentences import paragraphs, sentences
from tests.conftest import ARTICLES
from tests.test_loaders import GOLD_QUOTE, HTML, write

SAMPLES = sorted(load_articles([ARTICLES]), key=lambda a: a.doc_id)
BLINKEN = SAMPLES[0]


def body_sentences(article: Article) -> list[tuple[int, int]]:
    """Every sentence outside the section headings (which chunks carry as metadata instead)."""
    out = []
    for i, (start, end) in enumerate(paragraphs(article.text)):
        if i > 0 and is_heading(article.text[start:end]):
            continue
        out.extend(sentences(article.text, start, end))
    return out


@pytest.mark.parametrize("article", SAMPLES, ids=lambda a: a.doc_id)
def test_chunks_are_exact_slices_made_of_whole_sentences(article: Article) -> None:
    chunks = chunk_article(article)
    spans = body_sentences(article)
    starts, ends = {s for s, _ in spans}, {e for _, e in spans}
    assert chunks
    for chunk in chunks:
        assert chunk.text == article.text[chunk.start:chunk.end]
        assert chunk.start in starts and chunk.end in ends, chunk.chunk_id  # never inside a sentence
    # In order, not overlapping, and together they hold every body sentence exactly once.
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:]))
    covered = [(s, e) for s, e in spans if any(c.start <= s and e <= c.end for c in chunks)]
    assert covered == spans


def test_gold_quote_lies_inside_one_chunk_under_its_heading() -> None:
    chunks = chunk_article(BLINKEN)
    (chunk,) = [c for c in chunks if GOLD_QUOTE in c.text]
    assert chunk.heading == "Russische invloedssfeer"
    assert chunks[0].heading == ""  # before the first heading
    assert {c.heading for c in chunks} == {"", "Russische invloedssfeer", "Politieke evenwichtskunst",
                                           "‘IJzeren broeder’"}
    for c in chunks:  # the heading is metadata, not part of the chunk text
        assert not c.text.startswith(("Russische invloedssfeer", "Politieke evenwichtskunst"))


def test_photo_captions_are_chunks_of_their_own() -> None:
    captions = [c for c in chunk_article(BLINKEN) if "Foto Olivier Douliery" in c.text]
    assert [c.text for c in captions] == [
        "Blinken tijdens een persconferentie met zijn Kazachstaanse collega Mukhtar Tleuberdi, dinsdag in Astana. "
        "Foto Olivier Douliery/AP",
        "In Tasjkent bracht Antony Blinken een bezoek aan leerlingen van een Engelse taalcursus. "
        "Foto Olivier Douliery/Reuters",
    ]
    assert is_caption("De Russische minister Sergei Lavrov (l) op bezoek bij Wang Yi (r). Beeld EPA")
    assert not is_caption("Het beeld van de minister is beschadigd. Foto's zijn er niet.")


def test_a_short_caption_is_not_taken_for_a_section_heading() -> None:
    text = ("Poetin ontving Xi in het Kremlin. Het bezoek duurt drie dagen.\n\n"
            "Wapens leveren\n\n"
            "Het Westen kijkt mee. Washington waarschuwt Peking.\n\n"
            "Poetin en Xi in Moskou. Beeld AFP\n\n"
            "China wil bemiddelen. Kiev is sceptisch.")
    chunks = chunk_article(Article(doc_id="c", title="t", text=text))
    assert [(c.heading, c.text) for c in chunks] == [
        ("", "Poetin ontving Xi in het Kremlin. Het bezoek duurt drie dagen."),
        ("Wapens leveren", "Het Westen kijkt mee. Washington waarschuwt Peking."),
        ("Wapens leveren", "Poetin en Xi in Moskou. Beeld AFP"),
        ("Wapens leveren", "China wil bemiddelen. Kiev is sceptisch."),
    ]


def test_chunk_ids_are_positional_and_stable_across_runs() -> None:
    again = sorted(load_articles([ARTICLES]), key=lambda a: a.doc_id)
    for before, after in zip(SAMPLES, again):
        first, second = chunk_article(before), chunk_article(after)
        assert [c.chunk_id for c in first] == [f"{before.doc_id}#{i:05d}" for i in range(len(first))]
        assert first == second


def test_long_paragraph_splits_between_sentences_within_the_limit() -> None:
    sentence = "Volgens dr. Jansen van de Universiteit Utrecht stijgt de zeespiegel sneller dan gedacht."
    text = " ".join(f"{sentence[:-1]}, meting {i}." for i in range(40))
    article = Article(doc_id="lang", title="t", text=text)
    chunks = chunk_article(article)
    assert len(chunks) > 3
    for c in chunks:
        assert len(c.text) <= MAX_CHARS
        assert c.text.startswith("Volgens dr. Jansen") and c.text.endswith(".")  # "dr." is not an end
        assert c.text == text[c.start:c.end]


def test_a_sentence_longer_than_the_limit_is_kept_whole() -> None:
    monster = "Dit is een zin die maar doorgaat " + "en nog verder gaat " * 80 + "tot hier."
    text = f"Korte zin vooraf. {monster} Korte zin achteraf."
    chunks = chunk_article(Article(doc_id="m", title="t", text=text))
    assert any(c.text == monster or monster in c.text for c in chunks)
    assert all(c.text == text[c.start:c.end] for c in chunks)


def test_markdown_and_html_headings_become_chunk_headings(tmp_path: Path) -> None:
    (md,) = load_file(write(tmp_path / "n.md", "# Kop\n\nEerste alinea. Ja.\n\n## Reacties\n\nDe oppositie is blij.\n"))
    assert [(c.heading, c.text) for c in chunk_article(md)] == [
        ("", "# Kop\n\nEerste alinea. Ja."), ("Reacties", "De oppositie is blij.")]
    (html,) = load_file(write(tmp_path / "k.html", HTML))
    chunks = chunk_article(html)
    assert [c.heading for c in chunks] == ["", "Russische invloedssfeer"]
    assert "25 miljoen dollar" in chunks[0].text and "Moskou" in chunks[1].text
