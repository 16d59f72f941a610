"""The English-Dutch glossary (``rag.glossary``), written from FreeDict's dictionaries.

FreeDict's English-Dutch and Dutch-English dictionaries (GPL) ship in Debian as
``dict-freedict-eng-nld`` and ``dict-freedict-nld-eng``: dictd files, a gzip-compatible ``.dict.dz``
whose entries are a headword line (``mayor /mɛər/``) followed by its translations, comma-separated,
numbered by sense. :func:`build_glossary` reads them where dictd installed them, or else fetches the
two packages with ``apt-get download`` (no root needed) and unpacks them with ``dpkg-deb``; it
writes one line per English word, ``english<TAB>dutch,dutch,…``, atomically. On a machine with
neither, there is no glossary and answers are ranked as before (``build_glossary`` says so).
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

PACKAGES = ("dict-freedict-eng-nld", "dict-freedict-nld-eng")
DICTD = Path("/usr/share/dictd")
_HEADWORD = re.compile(r"^(\S.*?) /[^/]*/\s*$")
_SENSE = re.compile(r"^\d+\.\s*")
# FreeDict writes Dutch "ij" as the ligature and hyphens as U+2010
_NORMAL = str.maketrans({"ĳ": "ij", "Ĳ": "IJ", "\u2010": "-"})


def entries(text: str) -> Iterator[tuple[str, list[str]]]:
    """(headword, its translations) of a dictd file's text, every sense's translations together."""
    head: str | None = None
    words: list[str] = []
    for line in text.translate(_NORMAL).splitlines():
        match = _HEADWORD.match(line)
        if match:
            if head is not None:
                yield head, words
            head, words = match.group(1).strip(), []
        elif head is not None and line.strip():
            words += [w.strip() for w in _SENSE.sub("", line.strip()).split(",") if w.strip()]
    if head is not None:
        yield head, words


def english_to_dutch(english_dutch: str, dutch_english: str) -> dict[str, set[str]]:
    """English word -> its Dutch words, from both dictionaries (the Dutch-English one read backwards),
    single words only, lower case."""
    pairs: dict[str, set[str]] = defaultdict(set)
    for head, words in entries(english_dutch):
        if " " not in head:
            pairs[head.lower()].update(w.lower() for w in words if " " not in w)
    for head, words in entries(dutch_english):
        if " " not in head:
            for w in words:
                if " " not in w:
                    pairs[w.lower()].add(head.lower())
    return pairs


def _dictd_files(folder: Path) -> tuple[Path, Path] | None:
    found = (folder / "freedict-eng-nld.dict.dz", folder / "freedict-nld-eng.dict.dz")
    return found if all(p.is_file() for p in found) else None


def _read(path: Path) -> str:
    with gzip.open(path) as f:
        return f.read().decode("utf-8")


def _downloaded(work: Path) -> tuple[Path, Path] | None:
    """The two dictionaries fetched from Debian's package archive into ``work``, or None."""
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        return None
    try:
        subprocess.run(["apt-get", "download", *PACKAGES], cwd=work, check=True, capture_output=True, timeout=300)
        for deb in work.glob("*.deb"):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "x")], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return _dictd_files(work / "x" / "usr" / "share" / "dictd")


def build_glossary(dest: Path, dictd: Path = DICTD) -> str:
    """Write the glossary to ``dest`` unless it is there; one line saying what was done."""
    if dest.is_file():
        return f"English-Dutch glossary: {dest}"
    with tempfile.TemporaryDirectory() as tmp:
        files = _dictd_files(dictd) or _downloaded(Path(tmp))
        if files is None:
            return ("English-Dutch glossary: none (FreeDict's dictionaries are neither in /usr/share/dictd nor "
                    "fetchable with apt-get): English questions are matched to Dutch sentences by meaning only")
        english_dutch, dutch_english = (_read(p) for p in files)
    pairs = english_to_dutch(english_dutch, dutch_english)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    part.write_text("".join(f"{en}\t{','.join(sorted(nl))}\n" for en, nl in sorted(pairs.items()) if nl),
                    encoding="utf-8")
    os.replace(part, dest)
    return f"English-Dutch glossary ({len(pairs)} English words, FreeDict): {dest}"
