"""The HTTP API: newsrag on FastAPI, for apps that use it without its UI.

    POST /ask  /search  /ingest       GET /documents  /health       DELETE /documents/{doc_id}
    POST /v1/chat/completions  GET /v1/models    OpenAI-compatible (``newsrag.http.openai_api``)
    /ui                                          the Gradio chat, when ``ui.chat`` is importable
    /openapi.json  /docs                         the schema

``create_app(bot)`` only wires routes, configured by ``bot.settings`` (the one source of settings): the
bot loads its models on first use, once per process. ``serve(bot)`` checks the exposure rules, loads
the models (``Chatbot.warm_up``) and runs uvicorn.
Guarding (bearer key, body limits) is ``newsrag.http.guard``. Every ``NewsragError`` becomes
``{"error": "one line"}``, and so does any other exception (a 500, logged with its traceback):
a traceback or a plain-text error never reaches a client.

The server is the one writer of an embedded index while it runs (``Chatbot.hold_writer``): other
processes ingest through ``POST /ingest``. Should something write the index under it anyway, or
other workers write a shared Chroma server, each read notices (``Chatbot.refresh``), as it does
for every front end.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingest.loaders import MULTI_SUFFIXES, SUPPORTED, load_file
from ingest.pipeline import IngestReport
from newsrag.chatbot import Chatbot
from newsrag.http.api_models import (
    AskRequest,
    DocumentOut,
    DocumentsResponse,
    Health,
    IngestResponse,
    SearchRequest,
    SearchResponse,
)
from newsrag.http.guard import Guard, error_body, is_loopback
from newsrag.http.openai_api import router as openai_router
from rag.answer import Answer
from rag.documents import valid_doc_id
from rag.errors import BackendError, ConfigError, IndexBusy, InputError, NewsragError
from rag.settings import Settings

log = logging.getLogger(__name__)

UPLOAD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")  # a file name: an id without '/'
MIN_API_KEY = 16  # characters; a key that can be guessed is no key
UPLOAD_SUFFIXES = tuple(sorted(SUPPORTED))  # what ingest reads


def status_for(exc: NewsragError) -> int:
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, BackendError):
        return 502  # the store or the LLM server failed underneath us
    if isinstance(exc, IndexBusy):
        return 409  # another process is writing the index
    return 400  # ConfigError and the rest: the request asked for something this server cannot do


def one_line(exc: RequestValidationError) -> str:
    """Pydantic's error list as one line: ``body.k: Input should be less than or equal to 50``."""
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


class Uploads:
    """Uploaded article files: named like document ids, streamed to a staging folder, then moved
    into ``folder`` and ingested. Kept there so an article points at a real file (and an unchanged
    upload is a no-op). A file that holds no article is refused in staging and never kept."""

    def __init__(self, bot: Chatbot, folder: Path):
        self.bot, self.folder = bot, folder
        self._lock = threading.Lock()  # move + ingest as one step, so two uploads of a name don't mix

    def forget(self, doc_id: str) -> None:
        """Drop a deleted article's uploaded file (single-article formats; a JSONL or feed file holds others too)."""
        for suffix in UPLOAD_SUFFIXES:
            if suffix not in MULTI_SUFFIXES:  # JSONL and feeds: one file, many articles
                (self.folder / f"{doc_id}{suffix}").unlink(missing_ok=True)

    def ingest(self, files: list[UploadFile]) -> IngestResponse:
        self.folder.mkdir(parents=True, exist_ok=True)
        refused: list[str] = []
        with tempfile.TemporaryDirectory(dir=self.folder, prefix=".staging-") as staging:
            staged: dict[str, Path] = {}
            for upload in files:
                name = upload.filename or ""
                if not UPLOAD_NAME.fullmatch(name) or not name.lower().endswith(UPLOAD_SUFFIXES):
                    refused.append(f"{(upload.filename or '(no name)')[:200]!r}: file name must match "
                                   f"{UPLOAD_NAME.pattern} and end in {' '.join(UPLOAD_SUFFIXES)}")
                elif name in staged:
                    refused.append(f"{name}: uploaded twice (kept the first)")
                else:
                    path = Path(staging) / name
                    with open(path, "wb") as out:
                        shutil.copyfileobj(upload.file, out, 1024 * 1024)
                    items = list(load_file(path))  # read once: does it hold an article?
                    if any(not isinstance(item, NewsragError) for item in items):
                        staged[name] = path
                    else:  # say why, and keep nothing of it (the staging folder goes)
                        refused += [str(e).replace(f"{staging}{os.sep}", "") for e in items][:1] \
                            or [f"{name}: no article in it"]
            with self._lock:
                kept = [self.folder / name for name in staged]
                for name, path in staged.items():
                    os.replace(path, self.folder / name)
                report = self.bot.ingest(kept) if kept else IngestReport()
        here = f"{self.folder}{os.sep}"  # reported lines name the uploaded file, not our folder
        counts = report.counts()
        counts["skipped"] += len(refused)
        return IngestResponse(counts=counts, added=report.added, updated=report.updated, unchanged=report.unchanged,
                              skipped=refused + [line.replace(here, "") for line in report.skipped],
                              warnings=[line.replace(here, "") for line in report.warnings],
                              chunks_embedded=report.chunks_embedded, linked=report.linked)


def create_app(bot: Chatbot, *, ui: bool = True) -> FastAPI:
    """The app around ``bot``, configured by its settings. Loads nothing; ``ui=False`` skips the
    Gradio mount.

    Routes are sync: FastAPI runs each request in its worker-thread pool (40 threads)."""
    settings = bot.settings
    app = FastAPI(title="newsrag", version="0.1.0",
                  description="Questions about news articles, in Dutch or English, with checked citations.")
    uploads = Uploads(bot, settings.home / "uploads")

    @app.exception_handler(NewsragError)
    async def newsrag_error(request: Request, exc: NewsragError):
        return JSONResponse(error_body(request.url.path, status_for(exc), str(exc)), status_for(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return JSONResponse(error_body(request.url.path, 422, one_line(exc)), 422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):  # a bug or a failure we did not foresee
        log.exception("%s %s failed", request.method, request.url.path)
        message = f"internal error ({type(exc).__name__}); the server log has the details"
        return JSONResponse(error_body(request.url.path, 500, message), 500)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return JSONResponse(error_body(request.url.path, exc.status_code, str(exc.detail)), exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.get("/health", response_model=Health, tags=["meta"])
    async def health() -> Health:  # async: answered even while every worker thread is busy
        """Liveness; the only path open without the API key. Loads nothing."""
        return Health()

    @app.post("/ask", response_model=Answer, tags=["answers"])
    def ask(body: AskRequest) -> Answer:
        """The full answer object: checked answer text, citations (exact quotes), sources, timings."""
        return bot.ask(body.question, [t.model_dump() for t in body.history], mode=body.mode,
                       since=body.since, until=body.until, k=body.k)

    @app.post("/search", response_model=SearchResponse, tags=["answers"])
    def search(body: SearchRequest) -> SearchResponse:
        """The passages that best match ``query`` (hybrid dense + BM25 unless configured dense)."""
        query = body.query.strip()
        if not query:
            raise InputError("the query is empty")
        return SearchResponse(query=query, hits=bot.search(query, k=body.k, since=body.since, until=body.until))

    @app.post("/ingest", response_model=IngestResponse, tags=["articles"])
    def ingest(files: Annotated[list[UploadFile], File(description="Article files: .txt .md .html .jsonl, "
                                                                   "RSS/Atom feeds .xml .rss .atom")]):
        """Add or update articles from uploaded files. Files are kept under ``$NEWSRAG_HOME/uploads``
        (a stable source path), so uploading an unchanged file again is a no-op."""
        return uploads.ingest(files)

    @app.get("/documents", response_model=DocumentsResponse, tags=["articles"])
    def documents() -> DocumentsResponse:
        """Every indexed article, newest first."""
        docs = [DocumentOut(doc_id=r.doc_id, title=r.title, date=r.date, source=r.source, n_chunks=r.n_chunks,
                            content_hash=r.content_hash) for r in bot.documents()]
        return DocumentsResponse(count=len(docs), documents=docs)

    @app.delete("/documents/{doc_id:path}", tags=["articles"],
                responses={404: {"description": "No such document"}, 422: {"description": "Invalid id"}})
    def delete_document(doc_id: str) -> dict[str, str]:
        """Remove an article and its chunks. Ids are ``/``-separated parts of letters, digits, ``.``,
        ``_`` and ``-``, each starting with a letter or digit (``a/main0214``), at most 200 characters."""
        if not valid_doc_id(doc_id):
            raise InputError(f"invalid document id {doc_id[:80]!r}")
        if not bot.delete(doc_id):
            raise StarletteHTTPException(404, f"no document with id {doc_id!r}")
        uploads.forget(doc_id)
        return {"deleted": doc_id}

    app.include_router(openai_router(bot))

    app.add_middleware(Guard, api_key=settings.api_key, upload_limit=settings.max_upload_mb * 1024 * 1024)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:  # added last: outermost, so preflights and 401s carry the CORS headers too
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"])
    if ui:
        mount_ui(app, bot)
    return app


def mount_ui(app: FastAPI, bot: Chatbot, path: str = "/ui") -> bool:
    """The Gradio chat under ``path``; with an API key set, Gradio's login asks for it as password."""
    try:
        import gradio  # seconds to import: only when the UI is wanted

        from ui import chat
    except ImportError as exc:
        log.warning("chat UI not mounted at %s: %s", path, exc)
        return False
    import hmac
    import inspect

    settings = bot.settings
    key = settings.api_key
    accepted = inspect.signature(gradio.mount_gradio_app).parameters
    styling = {k: v for k, v in getattr(chat, "LAUNCH_OPTIONS", {}).items() if k in accepted}
    gradio.mount_gradio_app(
        app, chat.build_app(bot), path=path, max_file_size=f"{settings.max_upload_mb}mb",
        auth=(lambda _user, password: hmac.compare_digest(password.encode(), key.encode())) if key else None,
        auth_message="Password: the newsrag API key" if key else None, **styling)
    return True


def check_exposure(settings: Settings) -> None:
    """Refuse to listen beyond this machine without a real API key (at least 16 characters)."""
    if is_loopback(settings.host):
        return
    if not settings.api_key.strip():
        raise ConfigError(f"refusing to serve on {settings.host} without an API key: set NEWSRAG_API_KEY "
                          f"(or bind 127.0.0.1)")
    if len(settings.api_key.strip()) < MIN_API_KEY or settings.api_key != settings.api_key.strip():
        raise ConfigError(f"refusing to serve on {settings.host} with a weak API key: NEWSRAG_API_KEY needs at "
                          f"least {MIN_API_KEY} characters and no surrounding spaces (e.g. `openssl rand -hex 24`)")


def app_from_env() -> FastAPI:
    """An app configured from ``NEWSRAG_*``, for ``uvicorn --factory newsrag.http.server:app_from_env``."""
    settings = Settings.from_env()
    check_exposure(settings)
    bot = Chatbot.from_settings(settings)
    bot.hold_writer()
    bot.warm_up()  # each worker loads its models before it takes requests
    return create_app(bot)


def serve(bot: Chatbot, *, ui: bool = True, say: Callable[[str], None] = log.info) -> None:
    """Run the API around ``bot`` with uvicorn on its settings' ``host:port`` (127.0.0.1:8080 by
    default) until stopped; ``say`` gets the one line that tells where it listens (the CLI prints it)."""
    import uvicorn

    settings = bot.settings
    check_exposure(settings)
    bot.hold_writer()  # the single writer of an embedded index while we run (rag.lock)
    bot.warm_up()  # embedder, index, keywords and the LLM load before we listen, not on a question
    log.info("index: %s", settings.where())
    app = create_app(bot, ui=ui)
    say(f"newsrag API on http://{settings.host}:{settings.port}  (answer mode {settings.answer_mode}, "
        f"API key {'required' if settings.api_key else 'off'}, docs at /docs)")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=5)

