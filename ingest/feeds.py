"""RSS and Atom feeds as a source: each entry becomes an ``Article`` (title, date, link, text).

A feed is a file (``.xml``, ``.rss``, ``.atom``, or any file whose content starts like a feed) or an
``http(s)://`` URL. Parsing is feedparser's, always from bytes we read ourselves (given a string,
feedparser would open files and URLs on its own). An entry's text is its content (else its summary),
HTML turned into paragraphs; with ``fetch_links`` the linked page is fetched and read by the same
extractor as ``.html`` files, falling back to the entry's own text (with a warning) when that fails.

Ids are stable per entry, whichever feed or path it came through: ``feed/`` plus a readable part of
the entry's guid (else its link, else its title and date) and a digest of it. An entry's article keeps
the feed it came from as ``path`` and its link as ``source`` and ``url``; ``kind`` is ``"feed"``, so
prune leaves it alone when it drops out of the feed (feeds roll over). With ``fetch_links``, an
entry the index already holds as the feed gives it now (same digest of its title, date, link and
text) is not fetched again: it is reported ``Unchanged``, so a polled feed costs one request, not
one per entry. What this leaves out:
conditional GET (ETag), authentication, enclosures (podcasts), and feeds over 50 MB.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from rag.documents import Article
from rag.errors import ArticleError
from rag.language import detect_language

FEED_SUFFIXES = {".xml", ".rss", ".atom"}
MAX_FEED_BYTES = 50 * 1024 * 1024
FETCH_TIMEOUT_S = 20.0
_FEED_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?"  # BOM, XML declaration
                         rb"(?:<!--.*?-->\s*|<\?[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*)*"  # comments, stylesheets
                         rb"<(?:[A-Za-z_][\w.-]*:)?(rss|feed|RDF)\b", re.S)
_ISO_DAY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")
_NOT_IN_ID = re.compile(r"[^A-Za-z0-9._-]+")

Fetch = Callable[[str], bytes]  # URL -> body; raises OSError (urllib's errors are OSErrors) on failure


def is_url(name: str) -> bool:
    return str(name).lower().startswith(("http://", "https://"))


def looks_like_feed(head: bytes) -> bool:
    """True when the bytes start like an RSS (``<rss``, ``<rdf:RDF``) or Atom (``<feed``) document."""
    return bool(_FEED_START.match(head[:4096]))


def fetch_url(url: str, limit: int = MAX_FEED_BYTES) -> bytes:
    """GET ``url`` (20 s timeout, at most ``limit`` bytes); the default ``Fetch``."""
    request = urllib.request.Request(url, headers={"User-Agent": "newsrag (+feeds)"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:
        data = response.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"larger than {limit / 2**20:.0f} MB")
    return data


class _Text(HTMLParser):
    """HTML -> paragraphs separated by blank lines (block tags and <br> end a paragraph)."""

    BLOCKS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr",
              "table", "section", "article", "figure", "figcaption", "pre", "hr"}
    SKIP = {"script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    blocks = ("".join(parser.parts)).split("\n\n")
    return "\n\n".join(b for b in (" ".join(block.split()) for block in blocks) if b)


def entry_id(key: str) -> str:
    """``feed/<readable part>-<digest>`` from an entry's guid or link; fits ``rag.documents.DOC_ID``."""
    parts = urlsplit(key)
    tail = (parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.netloc) if parts.scheme else key
    readable = _NOT_IN_ID.sub("-", tail).strip("-._")[:60].strip("-._") or "entry"
    return f"feed/{readable}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _date(entry) -> str | None:
    """The entry's day as the feed wrote it (not shifted to UTC): published, else updated."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if not raw:
            continue
        if m := _ISO_DAY.match(raw):
            return m.group(1)
        if parsed := email.utils.parsedate_tz(raw):
            return f"{parsed[0]:04d}-{parsed[1]:02d}-{parsed[2]:02d}"
        if parsed := entry.get(f"{key}_parsed"):
            return time.strftime("%Y-%m-%d", parsed)
    return None


def _entry_text(entry) -> str:
    for detail in [*(entry.get("content") or []), entry.get("summary_detail") or {}]:
        value = detail.get("value") or ""
        text = html_to_text(value) if "html" in (detail.get("type") or "html") else value.strip()
        if text:
            return text
    return ""


@dataclass(frozen=True)
class FeedOptions:
    fetch_links: bool = False  # fetch each entry's linked page and extract it like an .html file
    fetch: Fetch = fetch_url
    known: Callable[[str], str] = lambda doc_id: ""  # doc_id -> the entry digest stored for it ("" if none)


@dataclass(frozen=True)
class Unchanged:
    """A feed entry the index holds as it is now: nothing to read (``FeedOptions.known``)."""
    doc_id: str
    path: str
    line: int


def parse_feed(data: bytes, source: str, path: str,
               options: FeedOptions = FeedOptions()) -> Iterator[Article | ArticleError | Unchanged]:
    """The entries of one feed document. ``source`` names it in error lines; ``path`` is stored (the
    feed file's absolute path, or the URL). A feed that cannot be read is one error."""
    import feedparser  # only needed for feeds

    parsed = feedparser.parse(data)
    if not parsed.entries:
        if parsed.bozo or not parsed.version:
            reason = " ".join(str(parsed.get("bozo_exception") or "no feed elements").split())[:120]
            yield ArticleError(source, f"not a readable RSS or Atom feed ({reason})")
        else:
            yield ArticleError(source, "feed has no entries (ingested)")  # a warning: an empty feed is no fault
        return
    if parsed.bozo:
        reason = " ".join(str(parsed.get("bozo_exception")).split())[:120]
        yield ArticleError(source, f"feed is not well-formed ({reason}); read what could be read (ingested)")
    for n, entry in enumerate(parsed.entries, 1):
        try:
            yield from _article(entry, n, source, path, options)
        except ArticleError as exc:
            yield exc


def _article(entry, n: int, source: str, path: str,
             options: FeedOptions) -> Iterator[Article | ArticleError | Unchanged]:
    link = (entry.get("link") or "").strip()
    title = " ".join((entry.get("title") or "").split())
    date = _date(entry)
    key = (entry.get("id") or "").strip() or link or (f"{title}\0{date}" if title else "")
    where = f"entry {n}" + (f" ({title[:60]})" if title else "")
    if not key:
        raise ArticleError(source, f"{where}: no guid, link or title to identify it")
    text = _entry_text(entry)
    doc_id = entry_id(key)
    digest = hashlib.sha256("\0".join((str(options.fetch_links), title, date or "", link, text)).encode()).hexdigest()[:16]
    if options.fetch_links and link and options.known(doc_id) == digest:
        yield Unchanged(doc_id, path, n)
        return
    if options.fetch_links and link:
        from ingest.loaders import decode, parse_html

        try:
            raw, _ = decode(options.fetch(link), link)
            page = parse_html(raw, doc_id, link)
            text, date = page.text, date or page.date
            title = title or page.title
        except (OSError, ArticleError, ValueError) as exc:
            reason = exc.reason if isinstance(exc, ArticleError) else " ".join(str(exc).split())[:120]
            if not text:
                raise ArticleError(source, f"{where}: linked page {link} not read ({reason}) and no text in the feed") \
                    from exc
            yield ArticleError(source, f"{where}: linked page {link} not read ({reason}); used the feed's text "
                                       f"(ingested)")
            digest = ""  # not as asked: fetch it again on the next poll
    if not text:
        raise ArticleError(source, f"{where}: no text (ingest with --fetch-links to read the linked page)")
    from ingest.loaders import first_sentence_title

    yield Article(doc_id=doc_id, title=title or first_sentence_title(text), text=text, date=date,
                  source=link or path, url=link, language=detect_language(text), path=path, line=n, kind="feed",
                  entry=digest)


def load_feed_url(url: str, options: FeedOptions = FeedOptions()) -> Iterator[Article | ArticleError | Unchanged]:
    try:
        data = options.fetch(url)
    except (OSError, ValueError) as exc:
        yield ArticleError(url, f"cannot fetch the feed ({' '.join(str(exc).split())[:160]})")
        return
    if not looks_like_feed(data):
        yield ArticleError(url, "not an RSS or Atom feed")
        return
    yield from parse_feed(data, url, url, options)
