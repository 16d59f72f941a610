"""Loaders: every format, titles, dates, exact text, and one clear error per bad input."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from ingest.loaders import MAX_ARTICLE_BYTES, discover, load_articles, load_file
from rag.documents import Article
from rag.errors import ArticleError
from tests.conftest import ARTICLES

GOLD_QUOTE = "Hij zegde de regio 25 miljoen dollar extra toe"
BLINKEN = "000_9dbccd1724277ce9"
LAVROV = "004_c8f14cc41eaac8fb"

HTML = """<!doctype html>
<html lang="nl"><head>
<title>Blinken in Centraal-Azië | De Krant</title>
<meta property="og:title" content="Blinken belooft Centraal-Azië steun">
<meta property="article:published_time" content="2023-03-01T10:00:00+01:00">
</head><body>
<nav><a href="/">Home</a> <a href="/sport">Sport</a> <a href="/weer">Weer</a></nav>
<article>
<h1>Blinken belooft Centraal-Azië steun</h1>
<p>De Amerikaanse minister van Buitenlandse Zaken Antony Blinken bracht een bezoek aan de voormalige
Sovjetrepublieken in Centraal-Azië. Hij zegde de regio 25 miljoen dollar extra toe om economische groei
te ondersteunen.</p>
<h2>Russische invloedssfeer</h2>
<p>De Centraal-Aziatische landen hebben hechte banden met Moskou, maar willen in de Oekraïne-oorlog niet
met Rusland vereenzelvigd worden. Als een anti-Russische resolutie voorligt in de Verenigde Naties,
onthouden ze zich van stemming.</p>
</article>
<footer>Cookiebeleid. Alle rechten voorbehouden aan De Krant.</footer>
</body></html>
"""


def only_articles(items) -> list[Article]:
    items = list(items)
    errors = [i for i in items if isinstance(i, ArticleError)]
    assert not errors, errors
    return items


def only_errors(items) -> list[ArticleError]:
    return [i for i in items if isinstance(i, ArticleError)]


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


# -- the sample format ---------------------------------------------------------------------------

def test_sample_articles_load_with_stem_ids_dates_and_exact_text() -> None:
    articles = {a.doc_id: a for a in only_articles(load_articles([ARTICLES]))}
    assert sorted(articles) == sorted(p.stem for p in ARTICLES.glob("*.txt"))
    for path in ARTICLES.glob("*.txt"):
        article, raw = articles[path.stem], path.read_text(encoding="utf-8")
        header = raw.index(article.text[:40])
        assert raw[:header].strip().startswith("date ")  # only the header is dropped ...
        assert raw[header:].rstrip() == article.text  # ... every other character is kept
        assert article.source == str(path)
        assert article.language == "nl"
    assert articles[BLINKEN].date == "2023-03"
    assert articles[LAVROV].date == "2021-03"
    assert GOLD_QUOTE in articles[BLINKEN].text


def test_sample_titles_are_first_sentences_skipping_photo_captions() -> None:
    articles = {a.doc_id: a for a in only_articles(load_articles([ARTICLES]))}
    assert articles[BLINKEN].title == "De twee grootmachten bekwaamden zich deze week in coalitievorming."
    # 004 opens with the caption "... Wang Yi (r). Beeld EPA": the title comes from the next paragraph.
    assert articles[LAVROV].title.startswith("Moskou riep afgelopen week zijn ambassadeur uit de Verenigde Staten")
    assert "Beeld EPA" not in articles[LAVROV].title


def test_caption_with_named_photographer_is_not_a_title(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", " date 2023-03 Blinken tijdens een persconferentie, dinsdag in Astana. "
                                     "Foto Olivier Douliery/AP\n\nDe C5+1 is in 2015 opgericht. De club kent een "
                                     "secretariaat.\n")
    (article,) = only_articles(load_file(path))
    assert article.title == "De C5+1 is in 2015 opgericht."
    assert article.text.startswith("Blinken tijdens een persconferentie")


def test_plain_text_without_date_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path / "sub" / "zonder-datum.txt", "Het KNMI verwacht morgen zware windstoten. Code oranje.\n")
    (article,) = only_articles(load_file(path))
    assert article.doc_id == "zonder-datum"
    assert article.date is None
    assert article.title == "Het KNMI verwacht morgen zware windstoten."
    meta = article.metadata()
    assert meta["date"] == "" and "date_from" not in meta and "date_to" not in meta


def test_day_precision_date_header(tmp_path: Path) -> None:
    (article,) = only_articles(load_file(write(tmp_path / "d.txt", " date 2024-02-29 Schrikkeldag. Echt.\n")))
    assert article.date == "2024-02-29"
    assert (article.metadata()["date_from"], article.metadata()["date_to"]) == (20240229, 20240229)


def test_markdown_title_is_the_headline(tmp_path: Path) -> None:
    path = write(tmp_path / "notitie.md", "# Kabinet valt over migratie\n\nHet kabinet is gevallen. Dat meldt "
                                          "de NOS.\n\n## Reacties\n\nDe oppositie reageert verheugd.\n")
    (article,) = only_articles(load_file(path))
    assert article.title == "Kabinet valt over migratie"
    assert article.doc_id == "notitie"
    assert "Het kabinet is gevallen. Dat meldt de NOS." in article.text


def test_markdown_front_matter_gives_title_date_source_and_url(tmp_path: Path) -> None:
    # Found trying an English article as a user would: the block was indexed as article text and
    # the article had no date, so no date filter or timeline could find it.
    path = write(tmp_path / "wind.md", "---\ntitle: Cabinet opens tender for two new offshore wind farms\n"
                                       "date: 2025-03-14\nsource: Example News\nurl: https://example.org/wind\n"
                                       "tags: [energy, 'north sea']\n---\n\n# Cabinet opens tender\n\n"
                                       "THE HAGUE - The Dutch cabinet on Friday opened the tender for two new wind "
                                       "farms in the North Sea.\n")
    (article,) = only_articles(load_file(path))
    assert article.title == "Cabinet opens tender for two new offshore wind farms"
    assert article.date == "2025-03-14"
    assert (article.source, article.url) == ("Example News", "https://example.org/wind")
    assert article.path == str(path.resolve())
    assert article.text.startswith("# Cabinet opens tender") and "title:" not in article.text
    assert article.language == "en"


def test_front_matter_date_as_a_timestamp_and_the_heading_as_title(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "---\npublished: 2024-02-29T09:30:00+01:00\n---\n# Schrikkeldag\n\nEen dag extra.\n")
    (article,) = only_articles(load_file(path))
    assert (article.date, article.title) == ("2024-02-29", "Schrikkeldag")
    assert article.source == str(path.resolve())  # no source field: the file, as before


def test_a_rule_line_is_not_front_matter_and_bad_yaml_is_one_clear_error(tmp_path: Path) -> None:
    rule = write(tmp_path / "rule.md", "---\nGewoon tekst tussen twee lijnen.\n---\nEn nog een zin.\n")
    (article,) = only_articles(load_file(rule))
    assert article.text.startswith("---\nGewoon tekst")
    bad = write(tmp_path / "bad.md", "---\ntitle: [niet gesloten\ndate: 2025-01-01\n---\nTekst.\n")
    (error,) = only_errors(load_file(bad))
    assert "front matter is not valid YAML" in str(error) and "bad.md" in str(error)
    assert "\n" not in str(error)


def test_front_matter_values_are_read_as_written_and_a_bad_date_is_no_crash(tmp_path: Path) -> None:
    path = write(tmp_path / "b.md", "---\ntitle: 12:30\ndate: 2025-02-30\npublishDate: 2025-02-28\n"
                                    "source: [NOS, ANP]\n---\nDe trein vertrok om half een.\n")
    (article,) = only_articles(load_file(path))
    assert article.title == "12:30"  # not YAML's sexagesimal 750
    assert article.date == "2025-02-28"  # 30 February is no date: the next date field counts
    assert article.source == "NOS, ANP"


def test_a_block_without_known_fields_and_an_empty_block(tmp_path: Path) -> None:
    plain = write(tmp_path / "anp.txt", "---\nBron: ANP\n---\nHet kabinet is gevallen.\n")
    (article,) = only_articles(load_file(plain))
    assert article.text.startswith("---\nBron: ANP") and article.source == str(plain.resolve())
    quote = write(tmp_path / "q.txt", "---\nDe minister zei: we gaan door.\nDat is nieuws.\n---\nMeer.\n")
    (article,) = only_articles(load_file(quote))
    assert article.text.startswith("---\nDe minister zei")
    empty = write(tmp_path / "leeg.md", "---\n---\nHet kabinet is gevallen.\n")
    (article,) = only_articles(load_file(empty))
    assert article.text == "Het kabinet is gevallen." and article.title == "Het kabinet is gevallen."


def test_html_main_text_title_and_date_from_meta(tmp_path: Path) -> None:
    (article,) = only_articles(load_file(write(tmp_path / "krant.html", HTML)))
    assert article.doc_id == "krant"
    assert article.title == "Blinken belooft Centraal-Azië steun"
    assert article.date == "2023-03-01"
    assert article.metadata()["date_from"] == 20230301
    assert "Hij zegde de regio 25 miljoen dollar extra toe" in " ".join(article.text.split())
    for boilerplate in ("Sport", "Cookiebeleid", "Alle rechten"):
        assert boilerplate not in article.text
    # Blocks become blank-line paragraphs, so the <h2> stays a heading line of its own.
    assert "\n\nRussische invloedssfeer\n\n" in article.text


def test_html_without_text_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "leeg.html", "<html><head><title>Leeg</title><script>var x = 1;</script></head>"
                                       "<body><img src='foto.png'></body></html>")
    (error,) = only_errors(load_file(path))
    assert error.source == str(path) and "no article text" in error.reason


def test_jsonl_fields(tmp_path: Path) -> None:
    rows = [
        {"id": "nos-1", "title": "Storm op komst", "date": "2024-05-02T10:00:00Z",
         "text": "Het KNMI waarschuwt voor storm. Code oranje geldt in Zeeland.", "url": "https://nos.nl/1",
         "source": "NOS"},
        {"id": "nos-2", "date": "2024-05", "text": "Zonder kop. Tweede zin."},
        {"id": "nos-3", "text": "Zonder datum."},
    ]
    path = write(tmp_path / "feed.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    a, b, c = only_articles(load_file(path))
    assert (a.doc_id, a.title, a.date, a.url, a.source) == ("nos-1", "Storm op komst", "2024-05-02",
                                                            "https://nos.nl/1", "NOS")
    assert a.text == rows[0]["text"]
    assert (b.doc_id, b.title, b.date, b.source) == ("nos-2", "Zonder kop.", "2024-05", str(path))
    assert c.date is None and "date_from" not in c.metadata()


def test_folders_are_walked_recursively_in_stable_order_and_hidden_files_ignored(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "Tweede. Ja.")
    write(tmp_path / "a" / "deep" / "c.md", "# Diep\n\nTekst. Meer.")
    write(tmp_path / "a" / "x.html", HTML)
    write(tmp_path / ".verborgen.txt", "Geheim. Ja.")
    write(tmp_path / ".git" / "notes.txt", "Geheim. Ja.")
    write(tmp_path / "a" / ".cache" / "y.txt", "Geheim. Ja.")
    found = list(discover([tmp_path]))
    assert found == list(discover([tmp_path]))
    assert [p.relative_to(tmp_path).as_posix() for p, _ in found] == ["a/deep/c.md", "a/x.html", "b.txt"]
    # Ids are paths relative to the folder named: files at its top keep their name.
    assert [doc_id for _, doc_id in found] == ["a/deep/c", "a/x", "b"]
    assert sorted(a.doc_id for a in only_articles(load_articles([tmp_path]))) == ["a/deep/c", "a/x", "b"]


# -- bad input: one line naming the file (and line) ------------------------------------------------

def assert_one_line(error: ArticleError, path: Path, *words: str, line: int | None = None) -> None:
    text = str(error)
    assert "\n" not in text
    assert text.startswith(f"{path}:{line}: " if line else f"{path}: "), text
    for word in words:
        assert word in text, text


def test_empty_and_blank_files(tmp_path: Path) -> None:
    for name, data in [("leeg.txt", b""), ("wit.md", b" \n\n\t\n"), ("leeg.jsonl", b""), ("wit.jsonl", b"\n\n")]:
        path = write(tmp_path / name, data)
        (error,) = list(load_file(path))
        assert isinstance(error, ArticleError)
        assert_one_line(error, path, "empty")


def test_binary_files(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40
    for name in ("plaatje.txt", "plaatje.html", "plaatje.jsonl"):
        path = write(tmp_path / name, png)
        items = list(load_file(path))
        assert len(items) == 1 and isinstance(items[0], ArticleError)  # one error, not one per "line"
        assert_one_line(items[0], path, "binary")


def test_cp1252_text_is_ingested_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "oud.txt", b"Een caf\xe9 in Utrecht \x96 \x93gezellig\x94. Tweede zin.")
    warning, article = list(load_file(path))
    assert isinstance(warning, ArticleError) and isinstance(article, Article)
    assert_one_line(warning, path, "cp1252")
    assert article.text == "Een café in Utrecht – “gezellig”. Tweede zin."


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path: Path) -> None:
    path = write(tmp_path / "raar.txt", b"Na\xefef \x81 tekst. Tweede zin.")
    warning, article = list(load_file(path))
    assert_one_line(warning, path, "latin-1")
    assert article.text.startswith("Naïef")


def test_jsonl_bad_lines_name_their_line_and_the_rest_loads(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "ok-1", "text": "Goed. Ja."}),
        "{dit is geen json",
        json.dumps({"id": "geen-tekst", "title": "Alleen een kop"}),
        "",  # blank lines are passed over but still counted
        json.dumps({"id": "lege-tekst", "text": "   "}),
        json.dumps(["een", "lijst"]),
        json.dumps({"text": "Zonder id. Ja."}),
        json.dumps({"id": "ok-2", "text": "Ook goed. Ja."}),
    ]
    path = write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    items = list(load_file(path))
    assert [a.doc_id for a in items if isinstance(a, Article)] == ["ok-1", "ok-2"]
    errors = only_errors(items)
    assert [e.line for e in errors] == [2, 3, 5, 6, 7]
    assert_one_line(errors[0], path, "not valid JSON", line=2)
    assert_one_line(errors[1], path, "text", line=3)
    assert_one_line(errors[2], path, "text", line=5)
    assert_one_line(errors[4], path, "id", line=7)


def test_jsonl_line_in_cp1252_is_ingested_with_a_warning_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "feed.jsonl", json.dumps({"id": "a", "text": "Goed. Ja."}).encode() + b"\n"
                 + b'{"id": "b", "text": "Een caf\xe9. Ja."}\n')
    items = list(load_file(path))
    (warning,) = only_errors(items)
    assert_one_line(warning, path, "cp1252", line=2)
    assert [a.text for a in items if isinstance(a, Article)] == ["Goed. Ja.", "Een café. Ja."]


def test_unsupported_suffix_and_missing_path(tmp_path: Path) -> None:
    pdf = write(tmp_path / "map" / "rapport.pdf", b"%PDF-1.7")
    write(tmp_path / "map" / "ok.txt", "Goed. Ja.")
    items = list(load_articles([tmp_path / "map", tmp_path / "weg.txt", pdf]))
    errors = only_errors(items)
    assert [a.doc_id for a in items if isinstance(a, Article)] == ["ok"]
    assert len(errors) == 3
    assert_one_line(errors[0], pdf, "unsupported", ".pdf")
    assert_one_line(errors[1], tmp_path / "weg.txt", "no such file")
    assert_one_line(errors[2], pdf, "unsupported")


# -- size: memory bounds here; the times these take are measured by bench/loaders_bench.py -------------

def big_text_file(path: Path) -> Path:
    """A 50 MB article in the sample format."""
    with path.open("wb") as fh:
        fh.write(b" date 2023-03 " + b"Een zin over niets. " * (50 * 2**20 // 20))
    return path


def big_jsonl(path: Path) -> tuple[Path, str]:
    """A 50 MB JSONL feed of copies of one sample article: (the file, the article's text)."""
    text = (ARTICLES / f"{BLINKEN}.txt").read_text(encoding="utf-8").split(" ", 3)[3]
    with path.open("w", encoding="utf-8") as fh:
        n = 0
        while fh.tell() < 50 * 2**20:
            fh.write(json.dumps({"id": f"a{n}", "date": "2023-03", "text": text}, ensure_ascii=False) + "\n")
            n += 1
    return path, text


def jsonl_with_a_50mb_line(path: Path) -> Path:
    """Three JSONL lines, the second 50 MB long."""
    with path.open("wb") as fh:
        fh.write(json.dumps({"id": "voor", "text": "Voor. Ja."}).encode() + b"\n")
        fh.write(b'{"id": "reus", "text": "' + b"Een zin over niets. " * (50 * 2**20 // 20) + b'"}\n')
        fh.write(json.dumps({"id": "na", "text": "Na. Ja."}).encode() + b"\n")
    return path


def peak_bytes(run):
    """(what ``run()`` returned, the most memory Python allocated meanwhile)."""
    tracemalloc.start()
    try:
        out = run()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_50mb_text_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = big_text_file(tmp_path / "groot.txt")
    assert path.stat().st_size >= 50 * 2**20
    items, peak = peak_bytes(lambda: list(load_file(path)))
    (error,) = items
    assert_one_line(error, path, "too large", "50.0 MB")
    assert peak < 2**20, peak


def test_50mb_jsonl_streams_article_by_article(tmp_path: Path) -> None:
    """A big feed is read a line at a time: the first article comes before the file is read."""
    path, text = big_jsonl(tmp_path / "feed.jsonl")
    items = load_file(path)
    first, peak = peak_bytes(lambda: [next(items) for _ in range(3)])
    items.close()
    assert [a.doc_id for a in first] == ["a0", "a1", "a2"]
    assert all(a.text == text for a in first)
    assert peak < 5 * 2**20, peak


def test_oversized_jsonl_line_is_skipped_by_line_and_the_rest_of_the_file_loads(tmp_path: Path) -> None:
    path = jsonl_with_a_50mb_line(tmp_path / "feed.jsonl")
    assert path.stat().st_size > 50 * 2**20
    items, peak = peak_bytes(lambda: list(load_file(path)))
    assert [a.doc_id for a in items if isinstance(a, Article)] == ["voor", "na"]
    (error,) = only_errors(items)
    assert_one_line(error, path, "too large", line=2)
    # Never more than about one article's worth in memory, not the 50 MB line.
    assert peak < 3 * MAX_ARTICLE_BYTES, peak
