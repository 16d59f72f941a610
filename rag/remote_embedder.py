"""Embeddings from an OpenAI-compatible ``/v1/embeddings`` service (Hugging Face TEI, vLLM, Infinity,
Ollama, OpenAI), for ingest and queries alike, so embedding is not bound by this machine's cores.

``langchain_openai.OpenAIEmbeddings`` does the requests: ``batch_size`` texts per request, raw
strings (``check_embedding_ctx_length=False``: no tiktoken, which only fits OpenAI's own models),
floats rather than base64, and the openai client's retries with back-off on connection errors,
429 and 5xx. When the service stays down, a ``BackendError`` says so in one line. E5 models
(``is_e5``) get ``query: `` / ``passage: `` before the texts, as the local embedder does; vectors are
L2-normalised here (not every service does), so a dot product is the cosine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rag.embedder_id import PrefixedEmbeddings, is_e5
from rag.errors import BackendError


class RemoteEmbeddings(PrefixedEmbeddings):
    def __init__(self, base_url: str, model: str, *, api_key: str = "", batch_size: int = 64,
                 max_retries: int = 3, timeout: float = 60.0, http_client: Any = None):
        from langchain_openai import OpenAIEmbeddings
        from pydantic import SecretStr

        self.base_url, self.model_name, self.prefixes = base_url.rstrip("/"), model, is_e5(model)
        self.dimension: int | None = None
        self._client = OpenAIEmbeddings(
            model=model, base_url=self.base_url, api_key=SecretStr(api_key or "not-needed"), chunk_size=batch_size,
            check_embedding_ctx_length=False, max_retries=max_retries, timeout=timeout,
            model_kwargs={"encoding_format": "float"}, http_client=http_client)

    def _vectors(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        import openai

        try:
            vectors = self._client.embed_documents(texts)
        except openai.APIError as exc:
            reason = " ".join(str(exc).split())[:160] or type(exc).__name__
            raise BackendError(f"the embeddings service at {self.base_url} failed ({reason}); check that it runs and "
                               f"serves model {self.model_name!r} (NEWSRAG_EMBED_BASE_URL, NEWSRAG_EMBED_MODEL)") from exc
        if len(vectors) != len(texts):
            raise BackendError(f"the embeddings service at {self.base_url} returned {len(vectors)} vectors for "
                               f"{len(texts)} texts")
        array = np.asarray(vectors, dtype=np.float32)
        self.dimension = int(array.shape[1])
        array /= np.maximum(np.linalg.norm(array, axis=1, keepdims=True), 1e-12)
        return array.tolist()

    def __repr__(self) -> str:
        return f"RemoteEmbeddings({self.base_url!r}, {self.model_name!r}, prefixes={self.prefixes})"
