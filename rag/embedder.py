"""LangChain embeddings over a sentence-transformers model, on CPU, in fp32, L2-normalised.

The default model is the multilingual-e5-small folder rebuilt offline by :mod:`newsrag.setup.e5_build`. E5
models were trained with ``query: `` before questions and ``passage: `` before documents; leave
``prefixes`` on for them and turn it off for any other family. Vectors are unit length, so a dot
product is the cosine.

The app's default is the same model exported to ONNX (:mod:`rag.onnx_embedder`, no torch); this
class runs ``NEWSRAG_EMBED_MODEL`` folders and hub names, and is the reference the export is checked
against (at set-up and in the tests).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rag.embedder_id import PrefixedEmbeddings
from rag.errors import ConfigError


def _is_local(model: str | Path) -> bool:
    """A Path, an existing folder, or a string spelled like a path; otherwise a hub name ("org/name")."""
    if isinstance(model, Path):
        return True
    return os.path.isabs(model) or model.startswith((".", "~")) or Path(model).exists()


class E5Embeddings(PrefixedEmbeddings):
    """Embeds documents with ``passage: `` and queries with ``query: `` (when ``prefixes``)."""

    dimension: int

    def __init__(self, model: str | Path, *, prefixes: bool = True, batch_size: int = 32):
        self.model_name = str(model)
        self.prefixes = prefixes
        self.batch_size = batch_size
        self._model = _load(model)
        self.dimension = int(self._model.get_embedding_dimension())

    def _vectors(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return vectors.tolist()

    def __repr__(self) -> str:
        return f"E5Embeddings({self.model_name!r}, prefixes={self.prefixes}, batch_size={self.batch_size})"


def _load(model: str | Path) -> Any:
    local = _is_local(model)
    if local:
        path = Path(model).expanduser()
        if not path.is_dir():
            raise ConfigError(f"embedding model folder {path} does not exist: run `newsrag setup` "
                              f"(or `make setup`)")
        model = str(path)
        # The one sanctioned environment write: a local folder needs no hub, so forbid any request.
        # huggingface_hub reads these once, at its import; local_files_only below covers the case
        # where something imported it earlier.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
    # Deferred: torch and sentence-transformers take seconds to import, which the CLI's fast paths
    # (help, errors, settings) should not pay.
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()  # "Loading weights" bars on every start

    return SentenceTransformer(str(model), device="cpu", local_files_only=local,
                               model_kwargs={"dtype": torch.float32})
