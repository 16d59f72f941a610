"""The English-Dutch glossary: an English question's words held by the Dutch sentence that answers it.

"Which alderman defended the library closures?" shares no word with „… zei Gerrit Hofstede, wethouder
van cultuur en financiën”, and multilingual-e5-small ranked three other sentences of the article above
it; through FreeDict's "alderman" = „wethouder” it ranks first (a training question, stop 42)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from newsrag.setup import glossary_build
from newsrag.setup.glossary_build import build_glossary, english_to_dutch, entries
from rag.evidence import Evidence, Unit
from rag.glossary import MAX_TRANSLATIONS, glossary_from_pairs, held, load_glossary
from rag.keyword import terms
from tests.conftest import MODELS, ROOT, make_settings

ENGLISH_DUTCH = """00-database-info
This is the English-Dutch dictionary
alderman /ɔːldəmən/
schepen, wethouder
mayor /mɛər/
1. burgemeester, burgervader
2. dorpsburgemeester
hind part /haindpɑːt/
achtereind
best /best/
1. best\u2010seller
"""
DUTCH_ENGLISH = """boete /butə/
fine, penalty
vrĳ /vrɛi/
free
raadslid /ratslɪt/
councillor, member of the council
"""


def test_entries_read_each_headword_with_every_senses_words():
    read = dict(entries(ENGLISH_DUTCH))
    assert read["alderman"] == ["schepen", "wethouder"]
    assert read["mayor"] == ["burgemeester", "burgervader", "dorpsburgemeester"]  # both senses
    assert read["best"] == ["best-seller"]  # FreeDict's U+2010 hyphen read as "-"
    assert "00-database-info" not in read  # no headword line: the file's preamble


def test_both_dictionaries_give_english_to_dutch_single_words_only():
    pairs = english_to_dutch(ENGLISH_DUTCH, DUTCH_ENGLISH)
    assert pairs["alderman"] == {"schepen", "wethouder"}
    assert pairs["fine"] == {"boete"} and pairs["penalty"] == {"boete"}  # the Dutch-English one backwards
    assert pairs["free"] == {"vrij"}  # the ligature "ĳ" as "ij", as the articles write it
    assert "hind part" not in pairs and "member of the council" not in pairs


def test_the_glossary_is_of_stems_and_leaves_out_ambiguous_and_function_words():
    many = [f"woord{i}" for i in range(MAX_TRANSLATIONS + 1)]
    glossary = glossary_from_pairs([("alderman", ["wethouder", "schepen"]), ("the", ["de", "het"]),
                                    ("fire", many)])
    assert glossary[terms("alderman").pop()] == frozenset(terms("wethouder schepen"))
    assert terms("the") == set() and len(glossary) == 1  # "fire" has too many Dutch words to match on


def test_a_word_is_held_itself_or_in_translation():
    glossary = glossary_from_pairs([("alderman", ["wethouder"])])
    wanted, words = terms("Which alderman defended Hofstede?"), terms("zei Gerrit Hofstede, wethouder van cultuur")
    assert held(wanted, words, None) == terms("Hofstede")
    assert held(wanted, words, glossary) == terms("alderman Hofstede")


def test_with_the_glossary_the_dutch_sentence_with_the_translated_word_ranks_first():
    units = [Unit(1, "Directeur Marleen Dijkstra noemde de sluiting van de bibliotheken een verlies.", 0, 10),
             Unit(1, "„Het is geen blij besluit”, zei Gerrit Hofstede, wethouder van cultuur.", 11, 20)]
    vectors = np.array([[1.0, 0.0], [0.99, 0.1]], dtype=np.float32)  # the embedding prefers the director
    question, vector = "Which alderman defended the library closures?", [1.0, 0.0]
    plain = Evidence(units, vectors).relevance(question, vector)
    glossed = Evidence(units, vectors, glossary=glossary_from_pairs([("alderman", ["wethouder"])])).relevance(question, vector)
    assert plain[0] > plain[1] and glossed[1] > glossed[0]


def test_no_glossary_file_or_an_unreadable_one_ranks_without(tmp_path: Path):
    assert load_glossary(tmp_path / "absent.tsv") is None
    (tmp_path / "bad.tsv").write_bytes(b"\xff\xfe\x00alderman\twethouder")
    assert load_glossary(tmp_path / "bad.tsv") is None
    (tmp_path / "good.tsv").write_text("alderman\twethouder,schepen\nno tab here\n", encoding="utf-8")
    assert load_glossary(tmp_path / "good.tsv") == {terms("alderman").pop(): frozenset(terms("wethouder schepen"))}


def _dictd(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in (("freedict-eng-nld", ENGLISH_DUTCH), ("freedict-nld-eng", DUTCH_ENGLISH)):
        with gzip.open(folder / f"{name}.dict.dz", "wb") as f:
            f.write(text.encode("utf-8"))
    return folder


def test_setup_writes_the_glossary_once_from_installed_dictionaries(tmp_path: Path):
    dest = tmp_path / "models" / "glossary-en-nl.tsv"
    line = build_glossary(dest, _dictd(tmp_path / "dictd"))
    assert "FreeDict" in line and dest.is_file() and not dest.with_name(dest.name + ".part").exists()
    assert "alderman\tschepen,wethouder" in dest.read_text(encoding="utf-8").splitlines()
    dest.write_text("alderman\twethouder\n", encoding="utf-8")  # there: left as it is
    build_glossary(dest, tmp_path / "dictd")
    assert dest.read_text(encoding="utf-8") == "alderman\twethouder\n"


def test_setup_without_dictionaries_or_apt_says_so_and_writes_nothing(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(glossary_build.shutil, "which", lambda name: None)
    dest = tmp_path / "glossary-en-nl.tsv"
    line = build_glossary(dest, tmp_path / "no-dictd")
    assert line.startswith("English-Dutch glossary: none") and "meaning only" in line and not dest.exists()


@pytest.fixture(scope="module")
def real_glossary() -> Path:
    """The glossary `make setup` writes from Debian's FreeDict packages (written here if missing)."""
    path = MODELS / "glossary-en-nl.tsv"
    build_glossary(path)
    if not path.is_file():
        pytest.skip("no FreeDict dictionaries on this machine and no apt-get to fetch them")
    return path


def test_the_real_glossary_ranks_the_aldermans_sentence_first(tmp_path: Path, real_glossary: Path, e5_folder):
    from newsrag.chatbot import Chatbot
    from rag.answer import Source
    from rag.evidence import build_evidence

    (tmp_path / "articles").mkdir()
    shutil.copy(ROOT / "eval" / "articles_trial" / "nl_2026_bibliotheek_sluiting.txt", tmp_path / "articles")
    question = "Which alderman defended the library closures?"
    with Chatbot(make_settings(tmp_path / "home", answer_mode="extractive")) as bot:
        bot.ingest([tmp_path / "articles"])
        found = bot.retriever.retrieve(question, 5)
        sources = [Source.of(h, n=n) for n, h in enumerate(found.hits, 1)]
        ranks = []
        for glossary in (None, load_glossary(real_glossary)):
            evidence = build_evidence(sources, bot.sentence_vectors, "en", glossary)
            order = list(np.argsort(-evidence.relevance(question, found.query_vector)))
            ranks.append(next(r for r, i in enumerate(order) if "Gerrit Hofstede, wethouder" in evidence.units[i].text))
    assert ranks[1] == 0 and ranks[0] > 0  # first with the glossary, below other sentences without
