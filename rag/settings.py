"""One settings object, read once from ``NEWSRAG_*`` variables (and CLI flags), then passed down.

No other module reads the environment. Paths default to ``./.newsrag`` so a clone is self-contained.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

ANSWER_MODES = ("local", "extractive", "server")
RETRIEVERS = ("dense", "hybrid")


def _default_home() -> Path:
    return Path(".newsrag").resolve()


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=_default_home)
    # Embedder: a local sentence-transformers folder or a hub name (machines that can reach one).
    embed_model: str = ""
    # Vector store: embedded Chroma under home/index unless a server host is given.
    chroma_host: str = ""
    chroma_port: int = 8000
    collection: str = "newsrag"
    # Answering.
    answer_mode: str = "local"  # local | extractive | server
    llm_model_path: str = ""  # GGUF file for the in-process model
    llm_threads: int = 2
    llm_ctx: int = 4096
    llm_max_tokens: int = 200
    server_base_url: str = ""  # any OpenAI-compatible server
    server_model: str = ""
    server_api_key: str = ""
    # Retrieval.
    retriever: str = "hybrid"  # dense | hybrid
    bm25_weight: float = 0.3
    k: int = 5
    fetch_k: int = 20
    # Abstention: below this best dense similarity the articles are taken not to hold the answer.
    min_score: float = 0.80
    # Citation check: min similarity between an answer sentence and the quote that supports it.
    support_score: float = 0.84
    # HTTP API.
    host: str = "127.0.0.1"
    port: int = 8080
    api_key: str = ""
    cors_origins: str = ""
    max_upload_mb: int = 50

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def embed_model_path(self) -> str:
        return self.embed_model or str(self.models_dir / "multilingual-e5-small")

    @property
    def gguf_path(self) -> Path:
        return Path(self.llm_model_path) if self.llm_model_path else (
            self.models_dir / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")

    @property
    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_host)

    def where(self) -> str:
        """Where the index lives, for humans."""
        if self.uses_chroma_server:
            return f"Chroma server http://{self.chroma_host}:{self.chroma_port}, collection {self.collection!r}"
        return f"{self.index_dir} (collection {self.collection!r})"

    def with_overrides(self, **overrides: Any) -> "Settings":
        """A copy with the given non-None values replaced (CLI flags win over the environment)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"NEWSRAG_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            kind = type(getattr(cls(), f.name))
            values[f.name] = Path(raw).expanduser().resolve() if kind is Path else kind(raw)
        settings = cls(**values).with_overrides(**overrides)
        if settings.answer_mode not in ANSWER_MODES:
            from rag.errors import ConfigError
            raise ConfigError(f"answer mode must be one of {', '.join(ANSWER_MODES)}, not {settings.answer_mode!r}")
        if settings.retriever not in RETRIEVERS:
            from rag.errors import ConfigError
            raise ConfigError(f"retriever must be one of {', '.join(RETRIEVERS)}, not {settings.retriever!r}")
        return settings
