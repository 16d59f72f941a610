"""The ``newsrag`` command: setup, ingest, search, ask, chat, eval, serve, mcp.

Each subcommand turns flags into ``Settings``, calls the library, and prints. A ``NewsragError``
becomes one red line and exit status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rag.errors import ConfigError, InputError, NewsragError
from rag.settings import ANSWER_MODES, MODEL_MODES, RETRIEVERS, Settings

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one error, one line


def friendly_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NewsragError as exc:
            err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
            sys.exit(2)
    return wrapper


def _settings(ctx: click.Context, **overrides) -> Settings:
    return Settings.from_env(**ctx.obj, **overrides)


@click.group()
@click.option("--home", type=click.Path(path_type=Path), help="Folder for index and models (NEWSRAG_HOME).")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, verbose: bool) -> None:
    """Ask questions about news articles, in Dutch or English, with checked citations."""
    handler = logging.StreamHandler()
    handler.setLevel(logging.INFO if verbose else logging.WARNING)  # on the handler: some libraries set their own loggers to DEBUG
    logging.basicConfig(level=handler.level, format="%(levelname)s %(name)s: %(message)s", handlers=[handler])
    ctx.obj = {"home": home.resolve() if home else None}


@cli.command()
@click.option("--no-llm", is_flag=True, help="Only the embedder (for machines that answer extractively).")
@click.pass_context
@friendly_errors
def setup(ctx: click.Context, no_llm: bool) -> None:
    """Build the offline models once: the embedder folder and the local LLM file."""
    from newsrag.setup import ensure_models

    for line in ensure_models(_settings(ctx, answer_mode="extractive" if no_llm else None)):
        console.print(Text(line), highlight=False, soft_wrap=True)


def _print_report(report, settings: Settings) -> None:
    counts = report.counts()
    console.print(Text(", ".join(f"{v} {k}" for k, v in counts.items())
                       + f"; {report.chunks_embedded} chunks embedded. Index: {settings.where()}"))
    _print_notes(report)


def _print_changes(what: str, report) -> None:
    """Watch mode: one line per batch, then one per article added, updated or removed."""
    counts = ", ".join(f"{v} {k}" for k, v in report.counts().items() if v and k != "unchanged") or "no change"
    console.print(Text(f"{time.strftime('%H:%M:%S')} {what}: {counts}"), highlight=False, soft_wrap=True)
    for kind, sign in (("added", "+"), ("updated", "~"), ("removed", "-")):
        for doc_id in getattr(report, kind):
            console.print(Text(f"  {sign} {doc_id}"), highlight=False, soft_wrap=True)
    _print_notes(report, indent="  ")


def _print_notes(report, indent: str = "") -> None:
    """The stories linked, then the warnings, skipped files and unreadable folders of an ingest."""
    for story in report.linked:
        console.print(Text(f"{indent}one story: {story}"), highlight=False, soft_wrap=True)
    for label, lines in (("[yellow]warning:[/yellow]", report.warnings), ("[red]skipped:[/red]", report.skipped),
                         ("[red]error:[/red]", report.unreadable_folders)):
        for line in lines:
            err_console.print(f"{indent}{label} {escape(line)}", highlight=False, soft_wrap=True)


@cli.command(name="ingest")
@click.argument("paths", nargs=-1, required=True)
@click.option("--prune", is_flag=True, help="Remove articles whose files are gone (never feed entries).")
@click.option("--replace", is_flag=True,
              help="Let an article replace one of the same id that came from another file.")
@click.option("--fetch-links", is_flag=True, help="Feeds: read each entry's linked page, not only the feed's text.")
@click.option("--watch", is_flag=True, help="Keep ingesting as files appear, change or disappear (Ctrl-C stops).")
@click.option("--interval", type=click.FloatRange(1, 86400), default=300.0, show_default=True,
              help="With --watch: seconds between polls of feed URLs.")
@click.option("--debounce", type=click.IntRange(50, 60000), default=1600, show_default=True,
              help="With --watch: milliseconds of quiet before a burst of changes is ingested.")
@click.option("--wait", type=click.FloatRange(0, 3600), default=30.0, show_default=True,
              help="Seconds to wait for another process writing the index (e.g. `newsrag serve`).")
@click.pass_context
@friendly_errors
def ingest_cmd(ctx: click.Context, paths: tuple[str, ...], prune: bool, replace: bool, fetch_links: bool,
               watch: bool, interval: float, debounce: int, wait: float) -> None:
    """Add or update articles from files, folders and feeds (.txt .md .html .jsonl, RSS/Atom files
    or http(s):// feed URLs).

    One process writes an index at a time: while `newsrag serve` runs on this index, upload through
    its POST /ingest instead (or share a Chroma server). `--watch` is that one writer while it runs."""
    from ingest.feeds import FeedOptions
    from newsrag.chatbot import Chatbot

    settings = _settings(ctx)
    options = dict(replace=replace, wait=wait, feeds=FeedOptions(fetch_links=fetch_links))
    # The lock and the index first, so a busy or damaged index is one line, before any progress bar.
    with Chatbot.from_settings(settings) as bot, bot.writer(wait):
        bot.count()
        if watch:
            return _watch(_with_bar(bot.ingest), paths, options, prune, interval, debounce, settings)
        report = _with_bar(bot.ingest)(paths, prune=prune, **options)
    _print_report(report, settings)
    sys.exit(1 if report.skipped or report.unreadable_folders else 0)  # 1: not everything named was ingested


def _with_bar(ingest):
    """``ingest`` showing a transient progress bar (bytes read, chunks embedded) while it runs."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    def run(paths, **options):
        with Progress(TextColumn("ingest"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[chunks]} chunks"),
                      TimeRemainingColumn(), console=err_console, transient=True) as bar:
            task = bar.add_task("ingest", total=None, chunks=0)
            return ingest(paths, progress=lambda done, total, chunks: bar.update(task, completed=done, total=total,
                                                                                 chunks=chunks), **options)
    return run


def _watch(ingest, paths, options, prune: bool, interval: float, debounce: int, settings: Settings) -> None:
    from ingest.watch import watch

    console.print(Text(f"watching {', '.join(paths)} (index: {settings.where()}; Ctrl-C stops)"),
                  highlight=False, soft_wrap=True)
    try:
        watch(ingest, paths, _print_changes, interval=interval, debounce_ms=debounce, prune=prune, **options)
    except KeyboardInterrupt:
        console.print(Text("stopped"), highlight=False)


@cli.command()
@click.argument("query")
@click.option("-k", type=int, default=None, help="How many chunks.")
@click.option("--since", default=None, help="Only articles from this date on (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", default=None, help="Only articles up to this date.")
@click.option("--retriever", type=click.Choice(RETRIEVERS), default=None)
@click.pass_context
@friendly_errors
def search(ctx: click.Context, query: str, k: int | None, since: str | None, until: str | None,
           retriever: str | None) -> None:
    """Print the chunks that best match QUERY."""
    from newsrag.chatbot import Chatbot, check_k

    check_k(k)
    with Chatbot.from_settings(_settings(ctx, retriever=retriever)) as bot:
        hits = bot.search(query, k=k, since=since, until=until)
    if not hits:
        console.print("No matching chunks (is the index empty? run `newsrag ingest data/articles`).")
        return
    table = Table("#", "score", "article", "date", "title / text", show_lines=True)
    for n, hit in enumerate(hits, 1):
        # Article text is data: Text objects are never parsed as markup.
        table.add_row(str(n), f"{hit.score:.3f}", hit.doc_id, hit.date or "?",
                      Text.assemble((hit.title, "bold"), "\n", hit.text[:400]))
    console.print(table)


def _read_history(fh) -> list[dict]:
    """Earlier turns from a ``--history`` file: a JSON list of {"role", "content"} objects, or one error line."""
    try:
        turns = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{fh.name}: not valid JSON ({exc})") from None
    if not isinstance(turns, list) or not all(
            isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
            for t in turns):
        raise InputError(f'{fh.name}: expected a JSON list of {{"role": "user" | "assistant", "content": "..."}}')
    return turns


@cli.command()
@click.argument("question")
@click.option("--mode", type=click.Choice(ANSWER_MODES), default=None, help="How to answer.")
@click.option("--since", default=None, help="Only articles from this date on (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", default=None, help="Only articles up to this date.")
@click.option("-k", type=int, default=None, help="How many passages to retrieve.")
@click.option("--history", "history_file", type=click.File(), default=None,
              help="JSON file with earlier turns: [{\"role\": \"user\", \"content\": ...}, ...].")
@click.option("--json", "as_json", is_flag=True, help="Print the whole answer object as JSON.")
@click.pass_context
@friendly_errors
def ask(ctx: click.Context, question: str, mode: str | None, since: str | None, until: str | None, k: int | None,
        history_file, as_json: bool) -> None:
    """Answer QUESTION from the articles, with checked citations."""
    from newsrag.chatbot import Chatbot, check_k

    check_k(k)
    settings = _settings(ctx, answer_mode=mode)
    history = _read_history(history_file) if history_file else []
    answer = None
    streamed = []
    with Chatbot.from_settings(settings) as bot:
        if bot.is_empty():
            raise ConfigError(f"the index at {settings.where()} is empty: fill it first with "
                              f"`newsrag ingest data/articles` (or your own files and folders)")
        for event in bot.stream(question, history, since=since, until=until, k=k):
            if event.kind == "token" and not as_json:
                console.out(event.token, end="", highlight=False)
                streamed.append(event.token or "")
            elif event.kind == "answer":
                answer = event.answer
    if answer is None:
        raise AssertionError("the answer stream ended without an answer")
    if as_json:
        console.out(answer.model_dump_json(indent=2), highlight=False)
        return
    console.print()
    if "".join(streamed).strip() != answer.answer.strip():  # not streamed as it stands (e.g. a refusal)
        console.print(Text("\n" + answer.answer, style="bold"))
    console.print()
    also = {s.n: s.also_in for s in answer.sources}
    for c in answer.citations:
        console.print(Text(f"[{c.n}] {c.title} ({c.date or '?'}, {c.doc_id}): “{c.quote}”"))
        if also.get(c.n):
            console.print(Text("    also in: " + "; ".join(f"{a.title} ({a.date or '?'}, {a.doc_id})" for a in also[c.n]),
                               style="dim"))
    if answer.abstained:
        console.print(Text(f"(abstained: {answer.abstain_reason})", style="dim"))
    for s in answer.sentences:
        if not s.supported:
            console.print(Text(f"unsupported: {s.text}", style="yellow"))
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in answer.timings.items())
    console.print(Text(f"query: {answer.standalone_query} · {timings} · {answer.model}", style="dim"))


@cli.command()
@click.option("--articles", type=click.Path(path_type=Path), default=Path("data/articles"), show_default=True,
              help="Ingested first when the index is empty.")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=7860, show_default=True)
@click.option("--mode", type=click.Choice(ANSWER_MODES), default=None, help="Default answer mode.")
@click.pass_context
@friendly_errors
def chat(ctx: click.Context, articles: Path, host: str | None, port: int, mode: str | None) -> None:
    """Serve the chat UI (set-up and first ingest happen on the way, once)."""
    from newsrag.chatbot import Chatbot
    from newsrag.setup import ensure_models
    from ui.chat import launch

    settings = _settings(ctx, answer_mode=mode)
    ensure_models(settings)
    bot = Chatbot.from_settings(settings)
    bot.hold_writer()  # the UI ingests uploads: no other process may write this index meanwhile
    if bot.is_empty() and articles.exists():
        console.print(Text(f"The index is empty: ingesting {articles} first."))
        _print_report(bot.ingest([articles]), settings)
    console.print(Text(f"newsrag chat on http://{host or settings.host}:{port}  (index: {settings.where()})"))
    launch(bot, host=host or settings.host, port=port)


@cli.command(name="eval")
@click.argument("questions", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("reports/eval"), show_default=True)
@click.option("--compare", type=click.Path(path_type=Path), default=None, help="An earlier JSON report: show deltas.")
@click.option("--fail-under", multiple=True, metavar="METRIC=VALUE", help="Exit 1 when METRIC misses VALUE (below it; above it for unsupported_share). Repeatable.")
@click.option("--retriever", type=click.Choice(RETRIEVERS), default=None)
@click.option("--mode", type=click.Choice(ANSWER_MODES), default=None)
@click.option("-k", type=int, default=None)
@click.option("--judge", type=click.Choice(MODEL_MODES), default=None,
              help="Also score faithfulness and correctness with this model as judge.")
@click.pass_context
@friendly_errors
def eval_cmd(ctx: click.Context, questions: Path, out_dir: Path, compare: Path | None, fail_under: tuple[str, ...],
             retriever: str | None, mode: str | None, k: int | None, judge: str | None) -> None:
    """Run a question set through the chat's own pipeline and report metrics."""
    from eval.cli import run_eval_cli
    from newsrag.chatbot import Chatbot

    # A bad -k is one line, before anything loads; the bot loads its models when the run needs them.
    with Chatbot.from_settings(_settings(ctx, retriever=retriever, answer_mode=mode, k=k)) as bot:
        status = run_eval_cli(bot, questions, out_dir, compare, fail_under, judge)
    sys.exit(status)


@cli.command()
@click.option("--host", default=None, help="Address (default 127.0.0.1; others need NEWSRAG_API_KEY).")
@click.option("--port", type=int, default=None, help="Port (default 8080).")
@click.option("--mode", type=click.Choice(ANSWER_MODES), default=None)
@click.option("--no-ui", is_flag=True, help="Do not mount the chat UI under /ui.")
@click.pass_context
@friendly_errors
def serve(ctx: click.Context, host: str | None, port: int | None, mode: str | None, no_ui: bool) -> None:
    """Serve the HTTP API (with an OpenAI-compatible /v1/chat/completions and the UI under /ui)."""
    from newsrag.chatbot import Chatbot
    from newsrag.http.server import serve as run

    bot = Chatbot.from_settings(_settings(ctx, host=host, port=port, answer_mode=mode))
    run(bot, ui=not no_ui, say=lambda line: console.print(Text(line), highlight=False, soft_wrap=True))


@cli.command()
@click.pass_context
@friendly_errors
def mcp(ctx: click.Context) -> None:
    """Serve the ask and search tools over MCP (stdio)."""
    from newsrag.mcp_server import run_mcp

    run_mcp(_settings(ctx))


def main() -> None:
    # llama.cpp shares torch's OpenMP runtime; busy-waiting threads collapse generation speed when
    # the cores are shared (measured: 2 -> 12 tok/s). Must be set before torch is imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    cli(prog_name="newsrag")


if __name__ == "__main__":
    main()
