"""RSS and Atom feeds as a source: entries become articles with stable ids; a feed file, a feed served
by a local HTTP server (a second poll adds only new entries), recognition by content, bad feeds,
linked pages read with the HTML extractor, and entries that leave a feed are kept."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from ingest.feeds import FeedOptions, entry_id, html_to_text, looks_like_feed, parse_feed
from ingest.loaders import discover, load_file
from rag.documents import valid_doc_id
from rag.errors import ArticleError
from tests.test_ingest import assert_consistent
from tests.test_loaders import HTML, write

ITEMS = {
    "kabinet": ("Kabinet valt over asielbeleid", "Tue, 02 May 2023 23:30:00 +0200",
                "<p>Het kabinet is gevallen over het asielbeleid.</p><p>Premier Rutte biedt vanavond het ontslag "
                "aan bij de koning.</p>"),
    "storm": ("KNMI waarschuwt voor storm", "Wed, 03 May 2023 08:00:00 +0200",
              "<p>Het KNMI geeft code oranje af voor de kustprovincies. Er worden windstoten tot 110 kilometer "
              "per uur verwacht.</p>"),
    "trein": ("Treinverkeer rond Utrecht plat", "Thu, 04 May 2023 07:15:00 +0200",
              "<p>Door een storing rijden er geen treinen rond Utrecht. ProRail verwacht dat de storing tot "
              "het einde van de middag duurt.</p>"),
}


def rss(*names: str, base: str = "https://nieuws.example/artikel") -> str:
    from html import escape

    items = "".join(f"<item><title>{title}</title><link>{base}/{name}</link><guid>{base}/{name}</guid>"
                    f"<pubDate>{date}</pubDate><description>{escape(body)}</description></item>"
                    for name in names for title, date, body in [ITEMS[name]])
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Nieuws</title>{items}</channel></rss>'


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom nieuws</title><id>urn:x</id><updated>2024-01-05T10:00:00Z</updated>
<entry><title>Waterschap verhoogt dijken</title><id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
<link href="https://atom.example/dijken"/><published>2024-01-05T09:00:00+01:00</published><updated>2024-01-06T09:00:00+01:00</updated>
<content type="html">&lt;p&gt;Het waterschap verhoogt de dijken langs de rivier met een meter.&lt;/p&gt;</content></entry>
</feed>"""


def articles(items) -> dict:
    return {a.doc_id: a for a in items if not isinstance(a, ArticleError)}


# -- parsing ---------------------------------------------------------------------------------------

def test_rss_entries_become_articles_with_title_date_link_and_paragraphs(tmp_path: Path) -> None:
    path = write(tmp_path / "nieuws.xml", rss("kabinet", "storm"))
    got = list(load_file(path))
    assert not [e for e in got if isinstance(e, ArticleError)]
    (kabinet, storm) = got
    assert kabinet.title == "Kabinet valt over asielbeleid"
    assert kabinet.date == "2023-05-02"  # the day the feed wrote (23:30 +0200), not shifted to UTC
    assert kabinet.url == kabinet.source == "https://nieuws.example/artikel/kabinet"
    assert kabinet.path == str(path.resolve()) and kabinet.kind == "feed"
    assert kabinet.text == ("Het kabinet is gevallen over het asielbeleid.\n\n"
                            "Premier Rutte biedt vanavond het ontslag aan bij de koning.")
    assert kabinet.language == "nl"
    assert valid_doc_id(kabinet.doc_id) and kabinet.doc_id.startswith("feed/kabinet-")
    assert kabinet.doc_id != storm.doc_id


def test_atom_by_content_whatever_the_name(tmp_path: Path) -> None:
    path = write(tmp_path / "export", ATOM)  # no suffix: recognised by its first element
    assert [p for p, _ in discover([path])] == [path]
    (entry,) = load_file(path)
    assert (entry.title, entry.date, entry.url) == ("Waterschap verhoogt dijken", "2024-01-05", "https://atom.example/dijken")
    assert entry.text == "Het waterschap verhoogt de dijken langs de rivier met een meter."
    assert looks_like_feed(b"\xef\xbb\xbf  <?xml version='1.0'?>\n<!-- x -->\n<rdf:RDF xmlns:rdf='x'>")
    assert not looks_like_feed(b"<html><body>feed</body></html>")
    # a feed saved as .txt is still a feed, and a folder walk finds a suffix-less feed
    assert load_file(write(tmp_path / "f.txt", ATOM)).__next__().kind == "feed"
    assert [p.name for p, _ in discover([tmp_path])] == ["export", "f.txt"]


def test_ids_are_stable_per_entry_and_valid() -> None:
    assert entry_id("https://nos.nl/artikel/2345678-kabinet") == entry_id("https://nos.nl/artikel/2345678-kabinet")
    assert entry_id("https://nos.nl/artikel/2345678-kabinet").startswith("feed/2345678-kabinet-")
    for key in ("urn:uuid:1225c695", "https://x.nl/", "tag:ä ö/ü?#..", "x" * 500, "https://x.nl/a/../../b"):
        assert valid_doc_id(entry_id(key)), key


def test_html_to_text_keeps_paragraphs_and_drops_markup() -> None:
    assert html_to_text("<p>Een <b>vet</b> woord.</p><script>alert(1)</script><p>Twee&amp;drie.<br>Vier.</p>") == \
        "Een vet woord.\n\nTwee&drie.\n\nVier."


@pytest.mark.parametrize("data, reason", [
    (b"<rss><channel><title>Nieuws</ti", "not a readable RSS or Atom feed"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not a readable RSS or Atom feed"),
    (b"<?xml version='1.0'?><html><body>geen feed</body></html>", "not a readable RSS or Atom feed"),
])
def test_a_bad_feed_is_one_line(tmp_path: Path, data: bytes, reason: str) -> None:
    (err,) = parse_feed(data, "bad.xml", "/x/bad.xml")
    assert isinstance(err, ArticleError) and reason in str(err) and str(err).startswith("bad.xml: ")


def test_an_entry_without_text_is_one_line_and_the_others_go_on() -> None:
    data = rss("kabinet").replace("</channel>", "<item><title>Leeg</title><guid>g-1</guid></item></channel>")
    got = list(parse_feed(data.encode(), "f.xml", "/f.xml"))
    assert [type(x).__name__ for x in got] == ["Article", "ArticleError"]
    assert "entry 2 (Leeg): no text" in str(got[1])


def test_fetch_links_reads_the_page_with_the_html_extractor() -> None:
    pages = {"https://nieuws.example/artikel/kabinet": HTML.encode()}

    def fetch(url: str) -> bytes:
        if url not in pages:
            raise OSError("HTTP Error 404: Not Found")
        return pages[url]

    data = rss("kabinet", "storm").encode()
    got = list(parse_feed(data, "f.xml", "/f.xml", FeedOptions(fetch_links=True, fetch=fetch)))
    kabinet, warning, storm = got
    assert kabinet.title == "Kabinet valt over asielbeleid"  # the entry's title wins
    assert kabinet.text != ITEMS["kabinet"][2] and "Het kabinet" not in kabinet.text  # the page's text
    assert "404" in str(warning) and str(warning).endswith("(ingested)")  # a warning: the feed's text is used
    assert storm.text.startswith("Het KNMI geeft code oranje af")


# -- ingest ----------------------------------------------------------------------------------------

def test_a_feed_file_ingested_again_adds_only_new_entries_and_keeps_the_ones_that_left(fake_bot, tmp_path) -> None:
    feed = write(tmp_path / "nieuws.rss", rss("kabinet", "storm"))
    first = fake_bot.ingest([feed])
    assert len(first.added) == 2 and not first.skipped
    assert fake_bot.ingest([feed]).counts()["unchanged"] == 2
    write(feed, rss("storm", "trein"))  # the feed rolled over: kabinet left, trein arrived
    again = fake_bot.ingest([feed], prune=True)
    assert (len(again.added), len(again.unchanged), again.removed) == (1, 1, [])
    assert len(fake_bot.index.records()) == 3  # kabinet is still news
    assert_consistent(fake_bot.index)


class _Feed(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def served():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}/rss"
    server.shutdown()
    server.server_close()


def test_a_served_feed_polled_twice_adds_only_the_new_entries(fake_bot, served, fake_embeddings) -> None:
    server, url = served
    _Feed.body = rss("kabinet", "storm").encode()
    first = fake_bot.ingest([url])
    assert len(first.added) == 2 and not first.skipped
    calls = fake_embeddings.calls
    _Feed.body = rss("kabinet", "storm", "trein").encode()
    second = fake_bot.ingest([url])
    assert (len(second.added), len(second.unchanged)) == (1, 2)
    (new,) = second.added
    record = fake_bot.index.records([new])[new]
    assert new.startswith("feed/trein-") and fake_embeddings.calls - calls == record.n_chunks  # only it was embedded
    assert (record.path, record.kind, record.date) == (url, "feed", "2023-05-04")


def test_an_unreachable_or_non_feed_url_is_one_line_and_loses_nothing(fake_bot, served) -> None:
    server, url = served
    _Feed.body = rss("kabinet").encode()
    fake_bot.ingest([url])
    _Feed.body = b"<html><body>Onderhoud</body></html>"
    report = fake_bot.ingest([url], prune=True)
    assert report.skipped == [f"{url}: not an RSS or Atom feed"] and not report.removed
    down = fake_bot.ingest(["http://127.0.0.1:9/rss"])
    assert len(down.skipped) == 1 and "cannot fetch the feed" in down.skipped[0]
    assert len(fake_bot.index.records()) == 1


def test_the_same_entry_in_two_feeds_is_one_article(fake_bot, tmp_path) -> None:
    a = write(tmp_path / "a.xml", rss("kabinet", "storm"))
    b = write(tmp_path / "b.xml", rss("storm", "trein"))
    report = fake_bot.ingest([a, b])
    assert len(report.added) == 3 and not report.skipped
    again = fake_bot.ingest([b])
    assert len(again.unchanged) == 2 and not again.skipped


def test_cli_ingests_a_feed_url(run_cli, served) -> None:
    server, url = served
    _Feed.body = rss("kabinet", "storm").encode()
    result = run_cli("ingest", url)
    assert result.exit_code == 0, result.output
    assert "2 added" in result.stdout


def test_the_api_and_the_ui_take_feed_files(fake_bot, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from newsrag.http.server import create_app
    from ui import chat

    client = TestClient(create_app(fake_bot, ui=False))
    r = client.post("/ingest", files=[("files", ("nieuws.rss", rss("kabinet", "storm").encode())),
                                      ("files", ("kapot.xml", b"<rss><channel><title>x</ti"))])
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["added"]) == 2 and all(i.startswith("feed/") for i in body["added"])
    assert len(body["skipped"]) == 1 and body["skipped"][0].startswith("kapot.xml: not a readable RSS or Atom feed")
    assert client.get("/documents").json()["count"] == 2

    status = chat.ingest_files(fake_bot, [str(write(tmp_path / "up" / "atom.xml", ATOM))])
    assert "1 added" in status


def test_a_polled_feed_with_fetch_links_fetches_only_new_pages(fake_bot) -> None:
    fetched: list[str] = []
    feed = {"body": rss("kabinet", "storm").encode()}

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return feed["body"] if url.endswith("/rss") else HTML.encode()

    options = FeedOptions(fetch_links=True, fetch=fetch)
    first = fake_bot.ingest(["https://nieuws.example/rss"], feeds=options)
    assert len(first.added) == 2 and len(fetched) == 3  # the feed and two pages
    feed["body"] = rss("kabinet", "storm", "trein").encode()
    fetched.clear()
    second = fake_bot.ingest(["https://nieuws.example/rss"], feeds=options)
    assert (len(second.added), len(second.unchanged)) == (1, 2)
    assert fetched == ["https://nieuws.example/rss", "https://nieuws.example/artikel/trein"]
