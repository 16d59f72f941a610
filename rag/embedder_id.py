"""Which embedder made an index's vectors: its name, prefix convention and dimension.

Vectors of two models live in different spaces; mixing them in one index makes search quietly
wrong. So the index records its embedder (in the chunk collection's metadata, ``rag.store``) and
refuses another with one line that says how to re-index. An index made before the record existed
adopts the embedder of its next write, quietly.

The name is the model's, not where it runs: the last part of a folder or served model name, with an
``-onnx`` suffix dropped, so ``multilingual-e5-small`` on sentence-transformers, its ONNX export and
``intfloat/multilingual-e5-small`` served over HTTP count as one model (they make the same vectors,
up to rounding). Two different models given the same folder name are not told apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.embeddings import Embeddings

from rag.errors import ConfigError

E5_PREFIXES = "e5"  # "query: " before questions, "passage: " before documents
NO_PREFIXES = "none"
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "


def model_name(name_or_path: str) -> str:
    """``/models/multilingual-e5-small-onnx`` and ``intfloat/multilingual-e5-small`` -> ``multilingual-e5-small``."""
    name = str(name_or_path).rstrip("/").replace("\\", "/").rsplit("/", 1)[-1]
    return name[:-len("-onnx")] if name.endswith("-onnx") else name


def is_e5(name: str) -> bool:
    """E5 models (``intfloat/multilingual-e5-small``, ``e5-large-v2``) expect the query/passage prefixes."""
    return "e5" in model_name(name).lower().replace("_", "-").split("-")


@dataclass(frozen=True)
class EmbedderId:
    name: str
    prefixes: str = NO_PREFIXES
    dimension: int | None = None  # known once a vector has been written

    def as_metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {"embedder": self.name, "embedder_prefixes": self.prefixes}
        if self.dimension is not None:
            out["embedder_dimension"] = int(self.dimension)
        return out

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> EmbedderId | None:
        if not metadata or "embedder" not in metadata:
            return None
        dimension = metadata.get("embedder_dimension")
        return cls(str(metadata["embedder"]), str(metadata.get("embedder_prefixes", NO_PREFIXES)),
                   int(dimension) if dimension is not None else None)

    def with_dimension(self, dimension: int) -> EmbedderId:
        return replace(self, dimension=dimension)

    def describe(self) -> str:
        dims = f"{self.dimension} dimensions, " if self.dimension else ""
        return f"{self.name!r} ({dims}{'query:/passage: prefixes' if self.prefixes == E5_PREFIXES else 'no prefixes'})"

    def check(self, other: EmbedderId, where: str) -> None:
        """Raise ``ConfigError`` unless ``other`` makes the same vectors as this recorded embedder."""
        if (other.name, other.prefixes) != (self.name, self.prefixes):
            raise mismatch(self, other.describe(), where)
        if other.dimension is not None:
            self.check_dimension(other.dimension, where)

    def check_dimension(self, dimension: int, where: str) -> None:
        if self.dimension is not None and dimension != self.dimension:
            raise mismatch(self, f"vectors of {dimension} dimensions", where)


def mismatch(recorded: EmbedderId, given: str, where: str) -> ConfigError:
    return ConfigError(
        f"the index ({where}) was built with embedder {recorded.describe()}, not {given}: set NEWSRAG_EMBED_MODEL "
        f"back to that model, or re-index with the new one into a new collection "
        f"(NEWSRAG_COLLECTION=<new name> newsrag ingest <your articles>)")


def identity_of(embeddings: Any) -> EmbedderId:
    """An embedder's ``identity``, else that of the embedder it wraps (an ``inner`` attribute), else
    its class name (for embedders newsrag does not know)."""
    if hasattr(type(embeddings), "identity"):
        return embeddings.identity
    inner = getattr(embeddings, "__dict__", {}).get("inner")
    if inner is not None:
        return identity_of(inner)
    return EmbedderId(type(embeddings).__name__)


class PrefixedEmbeddings(Embeddings):
    """What every embedder here shares (sentence-transformers, ONNX, an embeddings service): with
    ``prefixes`` (E5 models) ``passage: `` before documents and ``query: `` before queries, and the
    identity the index records. A subclass sets ``model_name``, ``prefixes`` and ``dimension`` and
    turns texts into unit vectors in ``_vectors``."""

    model_name: str
    prefixes: bool
    dimension: int | None

    @property
    def identity(self) -> EmbedderId:
        """What the index records about this embedder."""
        return EmbedderId(model_name(self.model_name), E5_PREFIXES if self.prefixes else NO_PREFIXES, self.dimension)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._vectors([PASSAGE_PREFIX + t for t in texts] if self.prefixes else list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Several queries in one batch (the citation check embeds every answer sentence as one)."""
        return self._vectors([QUERY_PREFIX + t for t in texts] if self.prefixes else list(texts))

    def _vectors(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError
