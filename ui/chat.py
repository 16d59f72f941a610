"""The Gradio chat app: ``build_app(bot)`` wires components to a ``Chatbot``; ``launch(bot)`` serves it.

    question ─ start() ─ stream_reply(): sources event -> panel, tokens -> chat, answer -> checked text,
                                         marked sources, "Waarom dit antwoord"
    files ──── ingest_files(): Chatbot.ingest (one writer at a time) -> status line

``build_app`` loads nothing (the bot builds its embedder, index and LLM lazily, once per process);
``launch`` loads them all (``Chatbot.warm_up``) before it serves, so no question waits for a model.
All text shown comes from ``ui.render``, which escapes article and model text; the Chatbot
component also sanitizes HTML and renders no LaTeX or custom tags. Callbacks turn a
``NewsragError`` into one readable line and log anything else; no traceback reaches the page.
Styling is passed to ``launch`` (``LAUNCH_OPTIONS``), as Gradio 6 wants it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

import gradio as gr

from ingest.loaders import SUPPORTED
from rag.answer import Answer, Event
from rag.errors import NewsragError
from rag.language import detect_language
from rag.settings import ANSWER_MODES, Settings
from ui import render

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport, Progress

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent / "assets"
EXAMPLES = [
    "Hoeveel extra geld zegde Blinken de regio toe?",
    "Why did Moscow recall its ambassador from the US?",
    "Welke groep ontmoette Blinken in Centraal-Azië?",
    "Wie won de Tour de France in 2022?",
]
FILE_TYPES = sorted(SUPPORTED)  # what ingest reads
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"]
# No web fonts: the app must work offline.
THEME = gr.themes.Soft(primary_hue="blue", neutral_hue="slate", font=SYSTEM_FONTS,
                       font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"])
LAUNCH_OPTIONS = {"theme": THEME, "css_paths": [ASSETS / "chat.css"], "footer_links": ["settings"]}

SOURCES_EMPTY = '<div class="nr-sources nr-empty">De bronnen van een antwoord verschijnen hier.</div>'
WHY_EMPTY = '<div class="nr-why nr-empty">Stel een vraag: hier staat daarna hoe het antwoord tot stand kwam.</div>'
# Runs once per page in the sources panel: [n] links scroll to their source, and each article
# scrolls to its first highlighted quote whenever the panel changes.
SOURCES_JS = """
const toMarks = () => element.querySelectorAll('.nr-article').forEach((box) => {
  const mark = box.querySelector('mark');
  if (mark) box.scrollTop = Math.max(0, mark.offsetTop - 48);
});
watch('value', toMarks);
if (!window.__newsragCites) {
  window.__newsragCites = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a[href^="#src-"]') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const card = document.getElementById(link.getAttribute('href').slice(1));
    if (!card) return;
    const more = card.closest('details');
    if (more) more.open = true;
    card.scrollIntoView({behavior: 'smooth', block: 'start'});
    card.classList.add('nr-flash');
    setTimeout(() => card.classList.remove('nr-flash'), 1600);
  }, true);
}
"""


class ChatBot(Protocol):
    """What the UI uses of a ``newsrag.Chatbot``."""

    settings: Settings

    def stream(self, question: str, history: Sequence[dict] = (), *, mode: str | None = None,
               since: str | None = None, until: str | None = None, k: int | None = None) -> Iterator[Event]: ...

    def ingest(self, paths: Iterable[str | Path], *, progress: Progress | None = None) -> IngestReport: ...

    def documents(self) -> Sequence[object]: ...

    def article_texts(self, doc_ids: Iterable[str] | None = None) -> dict[str, str]: ...

    def warm_up(self, mode: str | None = None) -> float: ...


class Reply(NamedTuple):
    """One update of the conversation; ``None`` leaves a panel as it is."""
    view: list[dict]  # messages as shown: [{"role", "content": Markdown}]
    turns: list[dict]  # the same turns as plain text, for bot.stream's history
    sources: str | None
    why: str | None
    status: str


def error_line(exc: BaseException) -> str:
    if isinstance(exc, NewsragError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"er ging iets mis ({type(exc).__name__}); zie het serverlog"


def articles_for(bot: ChatBot, answer: Answer) -> dict[str, str | None]:
    """doc_id -> full article text of each cited source (None when it cannot be read)."""
    cited = sorted({c.doc_id for c in answer.citations})
    try:
        texts = bot.article_texts(cited)
    except Exception:  # the passages themselves are shown instead
        log.exception("could not read articles %s", cited)
        texts = {}
    return {doc_id: texts.get(doc_id) for doc_id in cited}


def stream_reply(bot: ChatBot, question: str, view: Sequence[dict], turns: Sequence[dict], *, mode: str | None = None,
                 since: str = "", until: str = "", k: int | None = None) -> Iterator[Reply]:
    """Answer ``question`` (already shown in ``view`` with a placeholder reply), yielding each update."""
    shown, history = list(view[:-1]), list(turns)
    numbers: list[int] | None = None
    raw = ""
    try:
        for event in bot.stream(question, history, mode=mode, since=since.strip() or None,
                                until=until.strip() or None, k=k):
            if event.kind == "sources":
                numbers = [s.n for s in event.sources or []]
                panel = render.pending_sources_html(event.sources or [], detect_language(question))
                yield Reply([*shown, _bot(render.stream_markdown(raw, numbers))], history, panel, None, "")
            elif event.kind == "token":
                raw += event.token or ""
                yield Reply([*shown, _bot(render.stream_markdown(raw, numbers))], history, None, None, "")
            elif event.kind == "answer" and event.answer is not None:
                answer = event.answer
                turns_after = [*history, {"role": "user", "content": question},
                               {"role": "assistant", "content": answer.answer}]
                yield Reply([*shown, _bot(render.answer_markdown(answer))], turns_after,
                            render.sources_html(answer, articles_for(bot, answer)), render.why_html(answer), "")
    except Exception as exc:  # NewsragError is expected; anything else is logged as a bug
        if not isinstance(exc, NewsragError):
            log.exception("answering %r failed", question)
        line = error_line(exc)
        gr.Warning(line)
        message = f'<span class="nr-error">⚠ {render.escape_markdown(line)}</span>'
        yield Reply([*shown, _bot(message)], history, None, None, f"⚠ {render.escape_markdown(line)}")


def _bot(content: str) -> dict:
    return {"role": "assistant", "content": content}


def answering(view: Sequence[dict]) -> bool:
    """True while the last reply is still a placeholder or streaming (one question at a time)."""
    if not view or view[-1].get("role") != "assistant":
        return False
    content = view[-1].get("content")
    return isinstance(content, str) and (content == "…" or content.endswith("▍"))


def ingest_files(bot: ChatBot, files: Sequence[str] | None, progress=None) -> str:
    """Ingest uploaded files; the status line (Markdown) with counts and skipped-file reasons."""
    paths = [str(getattr(f, "name", f)) for f in files or []]
    if not paths:
        return "Geen bestanden ontvangen."

    def report_progress(done: int, total: int, chunks: int) -> None:
        if progress is not None:
            progress(done / total if total else None, desc=f"{chunks} chunks ingebed")

    try:
        report = bot.ingest(paths, progress=report_progress)
        for kind in ("skipped", "warnings"):  # temp folders mean nothing to the user: show file names
            lines = getattr(report, kind)
            for path in paths:
                lines[:] = [line.replace(path, Path(path).name) for line in lines]
        return render.ingest_summary(report, len(bot.documents()))
    except Exception as exc:
        if not isinstance(exc, NewsragError):
            log.exception("ingest of %s failed", paths)
        gr.Warning(error_line(exc))
        return f"⚠ {render.escape_markdown(error_line(exc))}"


MODE_LABELS = {"local": "Lokaal model", "extractive": "Extractief (zonder LLM)", "server": "Server"}


def mode_choices(settings: Settings) -> tuple[list[tuple[str, str]], str]:
    """The answer modes as (label, mode), the server's only when one is configured; and a note on it."""
    usable = [m for m in ANSWER_MODES if m != "server" or settings.server_base_url]
    choices = [(MODE_LABELS[m], m) for m in usable]
    if settings.server_base_url:
        return choices, f"server: {settings.server_base_url}"
    return choices, "server: niet ingesteld (zet NEWSRAG_SERVER_BASE_URL)"


def build_app(bot: ChatBot) -> gr.Blocks:
    settings = bot.settings
    choices, mode_note = mode_choices(settings)
    default_mode = settings.answer_mode if settings.answer_mode in {v for _, v in choices} else "local"

    with gr.Blocks(title="newsrag", analytics_enabled=False) as app:
        view, turns, pending = gr.State([]), gr.State([]), gr.State("")
        gr.Markdown("## newsrag · vraag het de artikelen\nAntwoorden uit de ingelezen nieuwsartikelen, "
                    "met gecontroleerde bronvermelding. Klik op [n] om het citaat in het artikel te zien.",
                    elem_classes="nr-header")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chat = gr.Chatbot(label="Gesprek", height=560, elem_id="nr-chat", sanitize_html=True,
                                  render_markdown=True, allow_tags=False, latex_delimiters=[],
                                  buttons=["copy"], feedback_options=None, autoscroll=True,
                                  placeholder="Stel een vraag in het Nederlands of het Engels.")
                with gr.Row():
                    question = gr.Textbox(placeholder="Bijv. Hoeveel extra geld zegde Blinken de regio toe?",
                                          show_label=False, scale=6, lines=1, max_lines=4, autofocus=True,
                                          elem_id="nr-question", submit_btn=False, container=False)
                    send = gr.Button("Vraag", variant="primary", scale=0, min_width=100, elem_id="nr-send")
                    clear = gr.Button("Wis gesprek", variant="secondary", scale=0, min_width=140,
                                      elem_id="nr-clear")
                status = gr.Markdown("", elem_classes="nr-status", elem_id="nr-status")
                gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="Voorbeeldvragen")
            with gr.Column(scale=2, min_width=360):
                sources = gr.HTML(SOURCES_EMPTY, label="Bronnen", show_label=True, elem_id="nr-sources",
                                  js_on_load=SOURCES_JS, max_height=640, container=True, padding=True)
                with gr.Accordion("Waarom dit antwoord", open=False, elem_id="nr-why-accordion"):
                    why = gr.HTML(WHY_EMPTY, elem_id="nr-why")
                with gr.Accordion("Instellingen", open=False, elem_id="nr-settings"):
                    with gr.Row():
                        since = gr.Textbox(label="Vanaf", placeholder="YYYY of YYYY-MM", max_lines=1)
                        until = gr.Textbox(label="Tot en met", placeholder="YYYY of YYYY-MM", max_lines=1)
                    k = gr.Slider(1, 10, value=min(max(settings.k, 1), 10), step=1, label="Aantal bronnen")
                    mode = gr.Radio(choices, value=default_mode, label="Antwoord", info=mode_note)
                with gr.Accordion("Artikelen toevoegen", open=False, elem_id="nr-upload"):
                    files = gr.File(file_count="multiple", file_types=FILE_TYPES, label=".txt .md .html .jsonl, feeds .xml .rss .atom",
                                    elem_id="nr-files")
                    ingest_status = gr.Markdown("", elem_id="nr-ingest-status")

        def start(text: str, shown: list[dict]):
            text = (text or "").strip()
            if not text or answering(shown):
                if text:
                    gr.Warning("Even geduld: het vorige antwoord wordt nog geschreven.")
                return gr.skip(), gr.skip(), gr.skip(), ""
            shown = [*shown, {"role": "user", "content": render.escape_markdown(text)}, _bot("…")]
            return "", shown, shown, text

        def answer(text: str, shown: list[dict], plain: list[dict], since_: str, until_: str, k_: float,
                   mode_: str):
            if not text:
                return
            for reply in stream_reply(bot, text, shown, plain, mode=mode_, since=since_ or "",
                                      until=until_ or "", k=int(k_)):
                yield (reply.view, reply.view, reply.turns,
                       gr.skip() if reply.sources is None else reply.sources,
                       gr.skip() if reply.why is None else reply.why, reply.status)

        def ingest(paths, progress=gr.Progress()):  # noqa: B008 (Gradio passes its tracker through this default)
            return ingest_files(bot, paths, progress)

        def reset():
            return [], [], [], SOURCES_EMPTY, WHY_EMPTY, ""

        answer_io = dict(fn=answer, inputs=[pending, view, turns, since, until, k, mode],
                         outputs=[chat, view, turns, sources, why, status], concurrency_limit=1,
                         concurrency_id="answer", show_progress="hidden")
        for trigger in (question.submit, send.click):
            trigger(start, [question, view], [question, chat, view, pending], queue=False,
                    show_progress="hidden").then(**answer_io)
        clear.click(reset, None, [chat, view, turns, sources, why, status], queue=False)
        chat.clear(reset, None, [chat, view, turns, sources, why, status], queue=False)  # its own 🗑 button
        files.upload(ingest, [files], [ingest_status], concurrency_limit=1, concurrency_id="ingest")
    return app


def launch(bot: ChatBot, host: str = "127.0.0.1", port: int = 7860, **options) -> gr.Blocks:
    """Serve the chat UI (blocking unless ``prevent_thread_lock=True`` is passed)."""
    app = build_app(bot)
    bot.warm_up()  # load the models before the first question can arrive, not during it
    app.queue(default_concurrency_limit=1)
    app.launch(server_name=host, server_port=port, **{**LAUNCH_OPTIONS, **options})
    return app
