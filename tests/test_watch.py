"""``newsrag ingest --watch``: a file added, changed and removed while watching is added, updated and
removed; feed URLs are polled; the watcher stops on its event; the CLI holds the writer lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ingest.watch import relevant, watch
from rag.errors import InputError
from tests.test_feeds import _Feed, rss, served  # noqa: F401 (a fixture)
from tests.test_loaders import write


class Watching:
    """``watch`` in a thread with a short debounce; ``reports`` collects (what, report)."""

    def __init__(self, bot, paths, **options):
        self.reports: list = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=watch, args=(bot.ingest, paths, self.on_report),
                                       kwargs=dict(debounce_ms=100, stop=self.stop, **options), daemon=True)
        self.bot = bot

    def on_report(self, what, report):
        self.reports.append((what, report))

    def wait_for(self, check, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out; reports: {[(w, r.counts()) for w, r in self.reports]}")

    def ids(self) -> set[str]:
        return set(self.bot.index.records())

    def __enter__(self):
        self.thread.start()
        self.wait_for(lambda: self.reports)  # the initial ingest is done, the watcher is (nearly) started
        time.sleep(0.3)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive(), "the watcher did not stop"


def test_a_file_added_changed_and_removed_while_watching(fake_bot, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    write(folder / "oud.txt", "date 2024-01 Het oude bericht. Het staat er al.")
    with Watching(fake_bot, [folder]) as w:
        assert w.ids() == {"oud"}
        write(folder / "sub" / "nieuw.md", "# Nieuw\n\nDe gemeenteraad van Zwolle besprak de begroting.")
        w.wait_for(lambda: any(r.added == ["sub/nieuw"] for _, r in w.reports))
        assert w.ids() == {"oud", "sub/nieuw"}  # the id a full ingest of the folder would give

        write(folder / "sub" / "nieuw.md", "# Nieuw\n\nDe gemeenteraad van Zwolle keurde de begroting goed.")
        w.wait_for(lambda: any(r.updated == ["sub/nieuw"] for _, r in w.reports))
        assert "keurde" in fake_bot.index.article("sub/nieuw").text

        (folder / "sub" / "nieuw.md").unlink()
        w.wait_for(lambda: any(r.removed == ["sub/nieuw"] for _, r in w.reports))
        assert w.ids() == {"oud"}
        write(folder / ".verborgen.txt", "Niet inlezen. Nee.")
        write(folder / "notes.pdf", b"%PDF-1.4")
        time.sleep(0.5)
    assert w.ids() == {"oud"}  # untouched; hidden and unsupported files were passed over
    assert not any(r.skipped for _, r in w.reports)


def test_relevant_changes() -> None:
    assert relevant({(1, "/x/.git/HEAD"), (3, "/x/a/.b.txt"), (3, "/x/gone.txt")}) == ["/x/gone.txt"]


def test_feed_urls_are_polled_at_the_interval(fake_bot, served) -> None:  # noqa: F811 (the fixture)
    server, url = served
    _Feed.body = rss("kabinet").encode()
    with Watching(fake_bot, [url], interval=0.2) as w:
        assert len(w.ids()) == 1
        _Feed.body = rss("kabinet", "storm").encode()
        w.wait_for(lambda: len(w.ids()) == 2)
        _Feed.body = rss("storm", "trein").encode()  # rolled over: kabinet stays
        w.wait_for(lambda: len(w.ids()) == 3)


def test_a_missing_path_is_one_line(fake_bot, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot watch .*nergens: no such file or folder"):
        watch(fake_bot.ingest, [tmp_path / "nergens"], lambda *a: None)


def test_the_cli_watches_until_interrupted_and_holds_the_writer_lock(run_cli, tmp_path, monkeypatch) -> None:
    import subprocess
    import sys

    import ingest.watch

    folder = tmp_path / "inbox"
    write(folder / "a.txt", "date 2024-01 Een bericht over de begroting. Het staat er.")
    seen = {}

    def fake_watch(ingest, paths, on_report, **options):  # the first batch, then Ctrl-C
        on_report("start", ingest(paths, prune=options["prune"], replace=False, feeds=options["feeds"]))
        lock = next(run_cli.home.rglob("writer.lock"))  # another process cannot take it meanwhile
        probe = "import filelock, sys; filelock.FileLock(sys.argv[1]).acquire(timeout=0)"
        seen["other writer"] = subprocess.run([sys.executable, "-c", probe, str(lock)], capture_output=True).returncode
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest.watch, "watch", fake_watch)
    result = run_cli("ingest", "--watch", str(folder))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"watching {folder}") and "Ctrl-C stops" in lines[0]
    assert "start: 1 added" in result.stdout and "  + a" in lines and lines[-1] == "stopped"
    assert seen["other writer"] != 0


def test_a_folder_removed_while_watching_takes_its_articles(fake_bot, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "inbox"
    write(folder / "blijft.txt", "date 2024-01 Dit bericht blijft staan. Echt waar.")
    write(folder / "regio" / "a.txt", "date 2024-02 Een bericht uit de regio. Over de dijken.")
    write(folder / "regio" / "diep" / "b.txt", "date 2024-02 Nog een bericht uit de regio. Over het water.")
    with Watching(fake_bot, [folder]) as w:
        assert w.ids() == {"blijft", "regio/a", "regio/diep/b"}
        shutil.rmtree(folder / "regio")
        w.wait_for(lambda: any(len(r.removed) == 2 for _, r in w.reports))
        assert w.ids() == {"blijft"}
