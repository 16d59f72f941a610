"""``newsrag eval``: the command's body, kept here so the click wrapper in ``newsrag.cli`` stays thin.

    newsrag eval QUESTIONS.jsonl [--out reports/eval] [--compare OLD.json] [--fail-under metric=value ...]
                 [--retriever dense|hybrid] [--mode local|extractive|server] [-k N] [--judge server|local]

The wrapper builds the bot (its settings with --retriever, --mode and -k as overrides) and passes it
in: eval does not build one.

Exit status: 0 when every gate holds, 1 when a ``--fail-under`` gate fails, 2 when the question
file, a report or the settings cannot be used (one red line, like every newsrag command).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from eval.html_report import write_html
from eval.questions import QuestionSetError, load_questions
from eval.report import fail_under as check_gates
from eval.report import load_json, parse_gates, print_compare, print_report, to_json, write_json
from eval.runner import EvalBot, article_texts, run_config, run_questions
from rag.errors import ConfigError, NewsragError
from rag.settings import MODEL_MODES, Settings


def report_stem(questions_path: Path, settings: Settings) -> str:
    """``questions-extractive-hybrid-k5``: one file name per question set and configuration."""
    return f"{questions_path.stem}-{settings.answer_mode}-{settings.retriever}-k{settings.k}"


def run_eval_cli(bot: EvalBot, questions_path: str | Path, out_dir: str | Path = "reports/eval",
                 compare: str | Path | None = None, fail_under: Sequence[str] = (), judge: str | None = None, *,
                 console: Console | None = None, progress: bool = True) -> int:
    """Run ``bot`` over the questions, report (terminal, JSON, HTML), compare and gate; the exit status."""
    console = console or Console()
    err = Console(stderr=True)
    try:
        if judge is not None and judge not in MODEL_MODES:
            raise ConfigError(f"judge must be one of {', '.join(MODEL_MODES)}, not {judge!r}")
        parse_gates(fail_under)  # a typo in a gate fails before a long run, not after
        old = load_json(compare) if compare else None
        articles = article_texts(bot)
        questions = load_questions(questions_path, articles)
        judge_model = bot.llm_for(judge) if judge else None  # the same model object a mode would use
        run = run_questions(bot, questions, articles, judge=judge_model, progress=progress,
                            config=run_config(bot, str(questions_path)) | ({"judge": judge} if judge else {}))
    except QuestionSetError as exc:
        for problem in exc.problems:
            err.print(f"[red]error:[/red] {escape(problem)}", highlight=False, soft_wrap=True)
        return 2
    except NewsragError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2

    if all(r.error for r in run.results):  # nothing was answered: a setup problem, not a score
        err.print(f"[red]error:[/red] every question failed: {escape(run.results[0].error)}", highlight=False, soft_wrap=True)
        return 2
    report = to_json(run, articles)
    stem = report_stem(Path(questions_path), bot.settings)
    json_path = write_json(report, Path(out_dir) / f"{stem}.json")
    html_path = write_html(report, Path(out_dir) / f"{stem}.html")
    print_report(report, console)
    console.print(f"reports: {escape(str(json_path))}  {escape(str(html_path))}", highlight=False, soft_wrap=True)
    if old is not None and compare is not None:
        print_compare(old, report, console, label=Path(compare).name)
    failures = check_gates(fail_under, report["metrics"])
    for failure in failures:
        err.print(f"[red]gate failed:[/red] {escape(failure)}", highlight=False, soft_wrap=True)
    return 1 if failures else 0

