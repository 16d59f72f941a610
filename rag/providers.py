"""The one place that names the real providers: embedder, Chroma client, index, keyword index, LLM.

Heavy imports happen inside these functions (torch, chromadb, llama.cpp take seconds to import),
so importing ``rag`` stays cheap and tests can hand in fakes instead.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import BackendError, ConfigError
from rag.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

    from rag.embedder_id import EmbedderId
    from rag.keyword import KeywordIndex
    from rag.lock import WriterLock
    from rag.store import NewsIndex


def onnx_embed_path(settings: Settings) -> Path:
    """Where set-up exports the default embedder to ONNX (``newsrag.setup.onnx_build``)."""
    from rag.onnx_embedder import DIRNAME

    return settings.models_dir / DIRNAME


def build_embeddings(settings: Settings) -> Embeddings:
    """An OpenAI-compatible embeddings service when ``NEWSRAG_EMBED_BASE_URL`` is set; else the
    default model on onnxruntime (no torch) once set-up has exported and verified it; a
    ``NEWSRAG_EMBED_MODEL`` folder or hub name, or a missing export, on sentence-transformers."""
    if settings.embed_base_url:
        from rag.remote_embedder import RemoteEmbeddings

        return RemoteEmbeddings(settings.embed_base_url, settings.embed_model, api_key=settings.embed_api_key,
                                batch_size=settings.embed_batch)
    if not settings.embed_model:
        from rag.onnx_embedder import is_complete

        if is_complete(onnx_embed_path(settings)):
            from rag.onnx_embedder import OnnxE5Embeddings

            return OnnxE5Embeddings(onnx_embed_path(settings))
    from rag.embedder import E5Embeddings

    return E5Embeddings(settings.embed_model_path)


def embedder_identity(settings: Settings) -> EmbedderId:
    """The configured embedder's name and prefixes (``rag.embedder_id``), without loading it."""
    from rag.embedder_id import E5_PREFIXES, NO_PREFIXES, EmbedderId, is_e5, model_name

    if settings.embed_base_url:
        return EmbedderId(model_name(settings.embed_model), E5_PREFIXES if is_e5(settings.embed_model) else NO_PREFIXES)
    # The default runs on onnxruntime or sentence-transformers: one model, named by its e5 folder.
    return EmbedderId(model_name(settings.embed_model_path), E5_PREFIXES)  # prefixes on, as rag.embedder's default


def build_chroma_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.uses_chroma_server:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as exc:  # chromadb raises bare ValueError/ConnectionError here
            raise ConfigError(f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}: "
                              f"{exc}") from exc
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    with _systems_lock:
        client: Any = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        _system_of[client] = client._system
    return client


# Embedded clients built here -> the chromadb system (files, threads, vectors in memory) each uses.
# chromadb keeps one system per folder per process and counts the clients on it; a reopen makes it
# forget one (``_forget_embedded_client``), and from then on the clients built here that still use
# it are counted in ``_forgotten``, so the last to close stops it. Both weak: a client dropped
# unclosed takes nothing of this with it.
_systems_lock = threading.Lock()
_system_of: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_forgotten: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def _forget_embedded_client(client: Any) -> None:
    """Make chromadb forget its cached system for ``client``'s folder, so the next client opens the
    files afresh (chromadb keeps one system per path per process, with the vectors in memory). The
    old system is not stopped here: it stops when the last client built here on it is closed
    (``close_chroma_client``); until then requests still reading from it finish normally. Clients
    on it made elsewhere (not by ``build_chroma_client``) are not counted."""
    from chromadb.api.shared_system_client import SharedSystemClient

    with _systems_lock:
        system = _system_of.get(client)
        if system is None or system in _forgotten:
            return  # not built here, or forgotten already (by another index on the same folder)
        with SharedSystemClient._refcount_lock:
            identifier = client._identifier
            if SharedSystemClient._identifier_to_system.get(identifier) is system:
                del SharedSystemClient._identifier_to_system[identifier]
                SharedSystemClient._identifier_to_refcount.pop(identifier, None)
        _forgotten[system] = sum(1 for s in _system_of.values() if s is system)


def close_chroma_client(client: Any) -> None:
    """Let go of a client ``build_chroma_client`` made (once per client). chromadb's own
    ``Client.close`` gives its reference back to the shared system, which stops with the last one;
    a system a reopen made chromadb forget is counted in ``_forgotten`` instead, because
    ``Client.close`` would count down whichever system chromadb now keeps for the folder."""
    with _systems_lock:
        system = _system_of.pop(client, None)
        left = _forgotten.get(system) if system is not None else None
        if left is None:
            client.close()  # a server's client, or one whose system chromadb still keeps
        elif left > 1:
            _forgotten[system] = left - 1
        else:
            del _forgotten[system]
            system.stop()


def _sqlite_stamp(folder: Path) -> Callable[[], tuple]:
    """Changes whenever any process writes the embedded index (reads leave these files alone)."""
    def stamp() -> tuple:
        out: list[tuple[int, int] | None] = []
        for name in ("chroma.sqlite3", "chroma.sqlite3-wal"):
            try:
                st = (folder / name).stat()
                out.append((st.st_mtime_ns, st.st_size))
            except OSError:
                out.append(None)
        return tuple(out)
    return stamp


def damaged_index_hint(settings: Settings) -> str:
    if settings.uses_chroma_server:
        return (f"the Chroma server at {settings.chroma_host}:{settings.chroma_port} failed; check that it runs "
                f"and is healthy")
    return (f"the index at {settings.index_dir / 'chroma'} cannot be used; if it is damaged, move or delete the "
            f"folder {settings.index_dir} and ingest the articles again (`newsrag ingest data/articles`)")


def build_index(settings: Settings, client: Any = None) -> NewsIndex:
    from rag.store import NewsIndex, is_store_error

    hint = damaged_index_hint(settings)
    if client is not None:
        return NewsIndex(client, settings.collection, hint=hint)
    try:
        client = build_chroma_client(settings)
    except Exception as exc:
        if not is_store_error(exc):
            raise
        raise BackendError(f"{' '.join(str(exc).split())[:200]}; {hint}") from exc
    if settings.uses_chroma_server:
        opener: Callable[[Any], Any] = lambda old: build_chroma_client(settings)  # noqa: E731
        stamp = None
    else:
        def opener(old: Any) -> Any:
            _forget_embedded_client(old)
            return build_chroma_client(settings)
        stamp = _sqlite_stamp(settings.index_dir / "chroma")
    try:
        return NewsIndex(client, settings.collection, hint=hint, opener=opener, closer=close_chroma_client,
                         stamp=stamp)
    except BaseException:
        close_chroma_client(client)  # a store that fails on open keeps no files or threads of ours
        raise


def _server_suffix(settings: Settings) -> str:
    """Per-machine files that belong to a Chroma server's index are named after the server."""
    return f"-{settings.chroma_host}-{settings.chroma_port}" if settings.uses_chroma_server else ""


def build_writer_lock(settings: Settings) -> WriterLock:
    """The single-writer lock of this index (``rag.lock``), kept in the index folder."""
    from rag.lock import WriterLock

    suffix = _server_suffix(settings)
    return WriterLock(settings.index_dir, f"writer{suffix}", what=f"the index at {settings.where()}",
                      hint="while `newsrag serve` runs, upload through its POST /ingest (or stop it first); "
                           "otherwise try again when that run ends")


def keyword_dir(settings: Settings) -> Path:
    """Each home keeps its own keyword index, even when the chunks live on a Chroma server; the
    processes that share a home share it (``rag.keyword_sync``)."""
    suffix = _server_suffix(settings)
    return settings.index_dir / f"keywords-{settings.collection}{suffix}"


def build_keyword_index(settings: Settings) -> KeywordIndex:
    import shutil

    from rag.keyword import KeywordIndex

    # The bm25s folder of an older version: derived data, replaced by the SQLite index beside it.
    shutil.rmtree(settings.index_dir / f"bm25-{settings.collection}{_server_suffix(settings)}", ignore_errors=True)
    return KeywordIndex(keyword_dir(settings))


def build_llm(settings: Settings) -> BaseChatModel | None:
    """The chat model for the configured answer mode; None for extractive answers."""
    if settings.answer_mode == "extractive":
        return None
    if settings.answer_mode == "server":
        if not settings.server_base_url:
            raise ConfigError("answer mode 'server' needs NEWSRAG_SERVER_BASE_URL (an OpenAI-compatible /v1 URL)")
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        return ChatOpenAI(base_url=settings.server_base_url, model=settings.server_model or "default",
                          api_key=SecretStr(settings.server_api_key or "not-needed"), temperature=0,
                          max_tokens=settings.llm_max_tokens,  # type: ignore[call-arg]  # the field, by its name
                          timeout=120, max_retries=1)
    path = settings.gguf_path
    if not path.exists():
        raise ConfigError(f"local model {path} is missing: run `make setup` (or choose --mode extractive)")
    from rag.llm import ChatLlamaCpp

    return ChatLlamaCpp.from_settings(settings)


def model_name(settings: Settings) -> str:
    if settings.answer_mode == "extractive":
        return "extractive"
    if settings.answer_mode == "server":
        return f"{settings.server_model or 'default'} @ {settings.server_base_url}"
    return settings.gguf_path.name
