"""Read article files into ``Article`` records: one function per format, one error per bad input.

Formats: the sample corpus format (text starting with `` date YYYY-MM``), plain ``.txt`` and ``.md``
(with YAML front matter, as Jekyll, Hugo and note apps write it: title, date, source, url),
``.html`` (main text extracted by trafilatura), ``.jsonl`` (one article a line) and RSS/Atom feeds
(``ingest.feeds``: ``.xml``, ``.rss``, ``.atom``, or any file that starts like a feed). Folders are walked
recursively. Every problem becomes an ``ArticleError`` naming the file (and line); the caller decides
to skip and go on. What this module leaves out: PDFs and office documents.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path, PurePath

from ingest.feeds import FEED_SUFFIXES, MAX_FEED_BYTES, FeedOptions, Unchanged, looks_like_feed, parse_feed
from rag.documents import Article, doc_id_for, valid_doc_id
from rag.errors import ArticleError
from rag.language import detect_language
from rag.sentences import paragraphs, sentences

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | FEED_SUFFIXES
MULTI_SUFFIXES = JSONL_SUFFIXES | FEED_SUFFIXES  # files that hold several articles, each with its own id
MAX_ARTICLE_BYTES = 5 * 1024 * 1024
MIN_SENTENCE_WORDS = 6  # an HTML page needs at least one sentence this long to count as an article  # one article; a JSONL file may be any size

_DATE_HEADER = re.compile(r"^\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\s*")
_ISO_PREFIX = re.compile(r"^(\d{4}-\d{2}(?:-\d{2})?)")
_CAPTION = re.compile(r"(?:^|[.!?)]\s+)(?:Foto|Beeld|Photo|Image)\s+[^.!?]{0,80}$")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
_BLOCK_BREAK = re.compile(r"[ \t]*\n\s*")

Item = Article | ArticleError | Unchanged  # Unchanged: a feed entry as the index holds it (``ingest.feeds``)


def is_caption(paragraph: str) -> bool:
    """Photo captions end in a credit: "… Foto Olivier Douliery/AP", "… Beeld EPA"."""
    return len(paragraph) < 400 and bool(_CAPTION.search(paragraph))


def is_heading(paragraph: str) -> bool:
    """A short single line without closing punctuation: a section heading ("Wapens leveren")."""
    line = paragraph.strip()
    if _MD_HEADING.match(line):
        return True
    if is_caption(line):  # "Poetin en Xi. Foto Sergei Karpukhin/TASS" is short and unpunctuated too
        return False
    bare = line.rstrip("”’\"'»)")  # ‘IJzeren broeder’ is a heading; a quoted sentence is not
    return ("\n" not in line and 0 < len(line) <= 80 and len(line.split()) <= 8
            and bool(bare) and bare[-1] not in ".!?:;,")


def first_sentence_title(text: str) -> str:
    """The first sentence of the first paragraph that is neither caption nor heading."""
    for start, end in paragraphs(text):
        block = text[start:end]
        if is_caption(block) or is_heading(block):
            continue
        s, e = sentences(text, start, end)[0]
        title = " ".join(text[s:e].split())
        return title if len(title) <= 200 else title[:197].rsplit(" ", 1)[0] + "…"
    return ""


def decode(data: bytes, source: str) -> tuple[str, str | None]:
    """Text with ``\n`` line ends (CR-only files lost every paragraph and heading) and a note when it
    was not UTF-8. Refuses empty and binary input."""
    text, note = _decode(data, source)
    return text.replace("\r\n", "\n").replace("\r", "\n"), note


def _decode(data: bytes, source: str) -> tuple[str, str | None]:
    if not data.strip():
        raise ArticleError(source, "empty file")
    if b"\0" in data[:8192]:
        raise ArticleError(source, "binary file, not text")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "not UTF-8; read as cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "not UTF-8; read as latin-1"


# Fields of front matter this loader reads; a block with none of them is text, not front matter.
_TITLE, _DATE = ("title", "headline"), ("date", "published", "publishdate", "pubdate", "published_at")
_SOURCE, _URL = ("source", "publisher", "site"), ("url", "link", "canonical_url")
_KNOWN = {*_TITLE, *_DATE, *_SOURCE, *_URL}
_KEY_LINE = re.compile(r"^([A-Za-z_]+):(\s|$)")


def front_matter(raw: str, source: str) -> tuple[dict[str, str], str]:
    """(the fields of a leading YAML block between ``---`` lines, the text after it); ({}, raw)
    when there is none. Values are read as plain strings (no YAML typing: "12:30" or "No" stay what
    they say, and an impossible date is no crash); a block that names none of the fields read here
    ("---\nBron: ANP\n---", a rule line above and below) stays text. A block that starts with one of
    those fields but is not valid YAML is one clear error."""
    m = _FRONT_MATTER.match(raw)
    if not m:
        return {}, raw
    block = m.group(1) or ""
    if not block.strip():
        return {}, raw[m.end():]  # an empty block: empty front matter
    import yaml

    try:
        fields = yaml.load(block, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds only str, list, dict
    except yaml.YAMLError as exc:
        first = _KEY_LINE.match(block)
        if not first or first.group(1).lower() not in _KNOWN:
            return {}, raw  # "---\nDe minister zei: we gaan door.\n…\n---": text between rule lines
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 2}" if where is not None else ""
        raise ArticleError(source, f"front matter is not valid YAML{at} ({getattr(exc, 'problem', None) or exc})") \
            from None
    if not isinstance(fields, dict):
        return {}, raw
    named = {str(k).lower(): v for k, v in fields.items()}
    if not _KNOWN & named.keys():
        return {}, raw
    return {k: _text(v) for k, v in named.items() if _text(v)}, raw[m.end():]


def _text(value: object) -> str:
    """A field's text: a string, or a list of strings joined ("NOS, ANP"); anything else is left out."""
    if isinstance(value, list):
        return ", ".join(" ".join(v.split()) for v in value if isinstance(v, str) and v.strip())[:500]
    return " ".join(value.split())[:500] if isinstance(value, str) else ""


def _field(fields: dict[str, str], names: tuple[str, ...]) -> str:
    return next((fields[n] for n in names if fields.get(n)), "")


def iso_date(value: str) -> str | None:
    """The ISO date (``YYYY-MM`` or ``YYYY-MM-DD``) ``value`` starts with, when it is a real date:
    ``2025-03-14``, ``2025-03-14T09:30:00+01:00`` (its local date); not ``2025-02-30``."""
    m = _ISO_PREFIX.match(value.strip())
    if not m:
        return None
    try:
        datetime.date.fromisoformat(m.group(1) if len(m.group(1)) == 10 else m.group(1) + "-01")
    except ValueError:
        return None
    return m.group(1)


def parse_text(raw: str, doc_id: str, source: str) -> Article:
    """The sample format, ``.txt`` and ``.md``: optional date header or YAML front matter, optional
    ``# Title``."""
    date = None
    if m := _DATE_HEADER.match(raw):
        date, raw = m.group(1), raw[m.end():]
    fields, raw = front_matter(raw, source)
    date = date or next((d for n in _DATE if n in fields and (d := iso_date(fields[n]))), None)
    title = _field(fields, _TITLE)
    first_line = raw.lstrip("\n").split("\n", 1)[0]
    if not title and (m := _MD_HEADING.match(first_line)):
        title = m.group(1)
    text = raw.strip()
    if not text:
        raise ArticleError(source, "no article text")
    return Article(doc_id=doc_id, title=title or first_sentence_title(text), text=text, date=date, path=source,
                   source=_field(fields, _SOURCE) or source, url=_field(fields, _URL), language=detect_language(text))


def parse_html(raw: str, doc_id: str, source: str) -> Article:
    import trafilatura  # lxml-heavy; only needed for HTML

    doc = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False)
    text = (getattr(doc, "text", None) or "").strip() if doc else ""
    if not text:
        raise ArticleError(source, "no article text found in the HTML")
    # trafilatura ends each block (<p>, <h2>, <li>) with one newline; our paragraphs are blank-line
    # separated, so without this an HTML article is one paragraph and its headings are lost.
    text = _BLOCK_BREAK.sub("\n\n", text)
    if not any(len(text[s:e].split()) >= MIN_SENTENCE_WORDS for s, e in sentences(text)):
        # "Home Nieuws Sport © 2024": menus and footers, no sentence an answer could quote
        raise ArticleError(source, "no article text found in the HTML (only short lines, such as a menu)")
    date = getattr(doc, "date", None)
    date = iso_date(date) if date else None
    title = (getattr(doc, "title", None) or "").strip() or first_sentence_title(text)
    return Article(doc_id=doc_id, title=title, text=text, date=date, source=source, path=source,
                   url=getattr(doc, "url", None) or "", language=detect_language(text))


def parse_json_line(line: str, source: str, lineno: int, path: str = "") -> Article:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ArticleError(source, f"not valid JSON ({exc.msg})", lineno) from None
    if not isinstance(obj, dict):
        raise ArticleError(source, "expected a JSON object", lineno)
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ArticleError(source, "no 'text' field", lineno)
    doc_id = str(obj.get("id") or "").strip()
    if not doc_id:
        raise ArticleError(source, "no 'id' field", lineno)
    if not valid_doc_id(doc_id):
        raise ArticleError(source, f"id {doc_id[:80]!r} is not a valid article id (letters, digits, '.', '_', "
                                   f"'-', parts joined by '/', each starting with a letter or digit; at most 200 "
                                   f"characters)", lineno)
    given = str(obj.get("date") or "")
    date = iso_date(given)
    text = text.strip()
    title = str(obj.get("title") or "").strip() or first_sentence_title(text)
    return Article(doc_id=doc_id, path=path, line=lineno, title=title, text=text, date=date,
                   source=str(obj.get("source") or path or source), url=str(obj.get("url") or ""),
                   language=detect_language(text))


def _lines(fh, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line; None instead of a line longer than ``limit``, which is read
    past in pieces and never held whole in memory."""
    lineno = 0
    while data := fh.readline(limit + 1):
        lineno += 1
        if len(data) > limit and not data.endswith(b"\n"):
            while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield lineno, None
        else:
            yield lineno, data


def load_jsonl(path: Path) -> Iterator[Item]:
    """Streams the file, so its size does not matter; each bad line is its own error."""
    source, resolved, lines = str(path), str(path.resolve()), 0
    with path.open("rb") as fh:
        if b"\0" in fh.read(8192):  # one error for the file, not one per line of garbage
            yield ArticleError(source, "binary file, not text")
            return
        fh.seek(0)
        for lineno, data in _lines(fh, MAX_ARTICLE_BYTES):
            if data is None:
                lines += 1
                yield ArticleError(source, f"line too large for one article (> {MAX_ARTICLE_BYTES / 2**20:.0f} MB)",
                                   lineno)
                continue
            if not data.strip():
                continue
            lines += 1
            try:
                line, note = decode(data, source)
                article = parse_json_line(line, source, lineno, resolved)
            except ArticleError as exc:
                yield ArticleError(source, exc.reason, lineno)
                continue
            if note:
                yield ArticleError(source, note + " (ingested)", lineno)  # a warning, not a skip
            yield article
    if not lines:
        yield ArticleError(source, "empty file")


def is_feed_file(path: Path) -> bool:
    """A feed by name, or by content: its first bytes are an RSS or Atom root element."""
    if path.suffix.lower() in FEED_SUFFIXES:
        return True
    if path.suffix.lower() in JSONL_SUFFIXES:
        return False
    try:
        with path.open("rb") as fh:
            return looks_like_feed(fh.read(4096))
    except OSError:
        return False


def load_feed_file(path: Path, feeds: FeedOptions) -> Iterator[Item]:
    shown = str(path)
    size = path.stat().st_size
    if size > MAX_FEED_BYTES:
        raise ArticleError(shown, f"feed too large ({size / 2**20:.1f} MB > {MAX_FEED_BYTES / 2**20:.0f} MB)")
    data = path.read_bytes()
    if not data.strip():
        raise ArticleError(shown, "empty file")
    yield from parse_feed(data, shown, str(path.resolve()), feeds)


def load_file(path: Path, doc_id: str | None = None, feeds: FeedOptions = FeedOptions()) -> Iterator[Item]:
    """Articles in one file (several for JSONL and feeds), or the errors that stop them.

    ``doc_id`` is the id for a single-article file (default: from its name, see ``doc_id_for``).
    Articles keep the file's absolute, resolved path; errors name the file as it was given."""
    shown = str(path)
    resolved = str(path.resolve())
    suffix = path.suffix.lower()
    try:
        if suffix in JSONL_SUFFIXES:
            yield from load_jsonl(path)
            return
        if is_feed_file(path):
            yield from load_feed_file(path, feeds)
            return
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            raise ArticleError(shown, f"too large for one article ({size / 2**20:.1f} MB > "
                                      f"{MAX_ARTICLE_BYTES / 2**20:.0f} MB); split it or use JSONL")
        raw, note = decode(path.read_bytes(), shown)
        parse = parse_html if suffix in HTML_SUFFIXES else parse_text
        article = parse(raw, doc_id or doc_id_for(PurePath(path.name)), shown)
        # the file, unless the article names its own source (a publisher, in front matter)
        article = replace(article, path=resolved, source=resolved if article.source == shown else article.source)
        if note:
            yield ArticleError(shown, note + " (ingested)")  # a warning, not a skip
        yield article
    except ArticleError as exc:
        yield exc
    except OSError as exc:
        yield ArticleError(shown, f"cannot read ({exc.strerror or exc})")


Found = tuple[Path, str]  # a supported file and the id of the article in it


def _unsupported(path: Path) -> ArticleError:
    return ArticleError(str(path), f"unsupported file type {path.suffix or '(none)'!r}")


class UnreadableFolder(ArticleError):
    """A folder whose files could not be listed: none of them was read (nor may be pruned)."""


def _walk(folder: Path) -> Iterator[Found | ArticleError]:
    """Files under ``folder``, sorted; hidden files and folders passed over; a folder that cannot be
    read is one ``UnreadableFolder`` error (``os.walk`` would pass over it in silence)."""
    unreadable: list[OSError] = []
    files = []
    for top, dirs, names in os.walk(folder, onerror=unreadable.append):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(top) / n for n in names if not n.startswith(".")]
    for exc in unreadable:
        yield UnreadableFolder(str(exc.filename or folder), f"cannot read this folder ({exc.strerror or exc}); "
                                                            f"its files were not ingested")
    for child in sorted(files):
        try:
            if not child.is_file():
                continue
        except OSError as exc:  # listed, but cannot be looked at (a folder readable but not searchable)
            yield ArticleError(str(child), f"cannot read ({exc.strerror or exc})")
            continue
        if child.suffix.lower() in SUPPORTED or is_feed_file(child):
            yield child, doc_id_for(child.relative_to(folder))
        else:
            yield _unsupported(child)


def discover(paths: Iterable[Path]) -> Iterator[Found | ArticleError]:
    """Supported files under ``paths``, recursively, in a stable order, each with its article id: the
    path relative to the folder that was named (``a/main0214``), or the file name for a file named
    itself. Hidden files are passed over."""
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        elif path.is_file():
            supported = path.suffix.lower() in SUPPORTED or is_feed_file(path)
            yield (path, doc_id_for(PurePath(path.name))) if supported else _unsupported(path)
        else:
            yield ArticleError(str(path), "no such file or folder")


def load_articles(paths: Iterable[Path], feeds: FeedOptions = FeedOptions()) -> Iterator[Item]:
    for found in discover(paths):
        if isinstance(found, ArticleError):
            yield found
        else:
            yield from load_file(*found, feeds=feeds)
