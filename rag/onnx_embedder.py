"""multilingual-e5-small on onnxruntime: the default embedder, with neither torch nor transformers.

The folder is made once at set-up by :mod:`newsrag.setup.onnx_build` from the rebuilt
sentence-transformers folder, and verified against it there (``is_complete``: every file, and the
marker set-up writes once the vectors match):

* ``encoder.onnx``: the 12 BERT layers (positions, token types, LayerNorm, attention, FFN), the
  attention MatMul weights quantized to int8 (dynamic, per channel; the FFN stays fp32); input
  ``inputs_embeds`` + ``attention_mask``, output the last hidden state;
* ``word_embeddings.npy``: the fp32 word-embedding table (250,037 × 384), looked up here with numpy
  from a memory map. Kept out of the graph: onnxruntime would copy its 384 MB at every start (2 s),
  and quantizing it (Gather) hurt ranking;
* ``tokenizer.json`` (XLM-R, run by the ``tokenizers`` package) and ``newsrag-onnx.json``;
* ``tokenizer-latin.json`` + ``tokenizer-latin-ids.npy`` (optional, written by set-up): the same
  tokenizer with only the vocabulary's Latin-script pieces (117k of 250k), which loads in under a third
  of the time (0.19 s against 0.66 s, most of a one-shot question's tokenizer cost). See :class:`E5Tokens`.

Same vectors as :class:`rag.embedder.E5Embeddings` up to the int8 rounding (cosine ≥ 0.99, checked at
set-up): ``query: `` / ``passage: `` prefixes, at most 512 tokens, mean pooling over the attention
mask, L2 norm. Texts are sorted by token count and batched, so a batch pads little.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from rag.embedder_id import PrefixedEmbeddings
from rag.errors import ConfigError

DIRNAME = "multilingual-e5-small-onnx"  # under <home>/models
MODEL_FILE = "encoder.onnx"
TABLE_FILE = "word_embeddings.npy"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "newsrag-onnx.json"
LATIN_TOKENIZER_FILE = "tokenizer-latin.json"  # optional: the Latin-script part of the vocabulary
LATIN_IDS_FILE = "tokenizer-latin-ids.npy"  # its pieces' ids in the whole vocabulary
UNK = "<unk>"
MARKER = ".newsrag-verified"  # written last by set-up: which variant passed, and its cosine
REQUIRED_FILES = (MODEL_FILE, TABLE_FILE, TOKENIZER_FILE, CONFIG_FILE, MARKER)
VARIANTS = ("int8-attention", "fp32")  # the exports set-up tries, in order (``newsrag.setup.onnx_build``)
MAX_ATTENTION_CELLS = 32 * 256 * 256  # texts × tokens² per batch: bounds the memory of one run


def is_complete(path: Path) -> bool:
    """Every file there, verified, and built as one of today's ``VARIANTS`` (else set-up redoes it)."""
    if not all((Path(path) / name).is_file() for name in REQUIRED_FILES):
        return False
    try:
        return json.loads((Path(path) / MARKER).read_text()).get("variant") in VARIANTS
    except (OSError, ValueError):
        return False


class E5Tokens:
    """Token ids of texts, as the whole XLM-R tokenizer gives them (``<s>`` … ``</s>``, truncated to
    ``max_length``), read first with the Latin-script subset of the vocabulary when set-up wrote it.

    Exact, not an approximation: the subset holds every piece made only of Latin-script characters,
    punctuation and digits (``newsrag.setup.onnx_build._latin``), the special pieces, and a piece of the
    lowest score (which sets the penalty of an unknown character: the same in both). A text whose
    normalized characters are all of that kind is matched by the same pieces in both vocabularies, so
    the unigram model picks the same split. A text with any other
    character (Cyrillic, Chinese, an emoji) gets ``<unk>`` from the subset, since no piece covers that
    character, and only then is the whole tokenizer loaded and asked. Truncation comes after the check,
    so a character past the cut cannot change the pieces before it unseen."""

    def __init__(self, folder: Path, max_length: int):
        from tokenizers import Tokenizer

        self._folder = folder
        self.max_length = max_length
        self._subset: Any = None  # with _to_whole and _unk, or None: the whole tokenizer only
        if (folder / LATIN_TOKENIZER_FILE).is_file() and (folder / LATIN_IDS_FILE).is_file():
            self._subset = Tokenizer.from_file(str(folder / LATIN_TOKENIZER_FILE))
            self._subset.no_padding()
            self._subset.no_truncation()
            self._to_whole = np.load(folder / LATIN_IDS_FILE)
            self._unk = self._subset.token_to_id(UNK)

    @cached_property
    def whole(self):
        """The whole tokenizer (loaded when first needed if the subset is there)."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self._folder / TOKENIZER_FILE))
        tokenizer.no_padding()  # padded by the embedder, per batch
        tokenizer.enable_truncation(self.max_length)
        return tokenizer

    @property
    def uses_subset(self) -> bool:
        return self._subset is not None

    def ids(self, texts: list[str]) -> list[list[int]]:
        if self._subset is None:
            return [e.ids for e in self.whole.encode_batch(texts)]
        out: list[list[int]] = []
        missed: list[int] = []
        for i, encoding in enumerate(self._subset.encode_batch(texts)):
            if self._unk in encoding.ids:
                missed.append(i)
                out.append([])
                continue
            ids = self._to_whole[encoding.ids].tolist()
            out.append(ids if len(ids) <= self.max_length else ids[:self.max_length - 1] + ids[-1:])
        for i, encoding in zip(missed, self.whole.encode_batch([texts[i] for i in missed]) if missed else []):
            out[i] = encoding.ids
        return out


class OnnxE5Embeddings(PrefixedEmbeddings):
    """Embeds documents with ``passage: `` and queries with ``query: `` (when ``prefixes``)."""

    dimension: int

    def __init__(self, folder: str | Path, *, prefixes: bool = True, batch_size: int = 32,
                 threads: int | None = None):
        folder = Path(folder).expanduser()
        for name in (MODEL_FILE, TABLE_FILE, TOKENIZER_FILE, CONFIG_FILE):
            if not (folder / name).is_file():
                raise ConfigError(f"ONNX embedder folder {folder} lacks {name}: run `newsrag setup` "
                                  f"(or `make setup`)")
        import onnxruntime as ort

        self.model_name = str(folder)
        self.prefixes = prefixes
        self.batch_size = batch_size
        config = json.loads((folder / CONFIG_FILE).read_text())
        self.max_length = int(config["max_seq_length"])
        self.pad_id = int(config["pad_token_id"])
        self.tokens = E5Tokens(folder, self.max_length)
        self._table = np.load(folder / TABLE_FILE, mmap_mode="r")  # pages in only the rows used
        self.dimension = int(self._table.shape[1])
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # Idle workers sleep instead of spinning: the cores are shared (with llama.cpp in the same process).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"])

    def _vectors(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts).tolist()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for ``texts`` as given (no prefix added), shape (len(texts), dimension)."""
        return self._encode(list(texts))

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokens.ids(texts)
        for rows in self._batches(ids):
            width = len(ids[rows[-1]])
            batch = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                batch[r, :len(ids[i])] = ids[i]
                mask[r, :len(ids[i])] = 1
            hidden = self._session.run(None, {"inputs_embeds": np.asarray(self._table[batch], dtype=np.float32),
                                              "attention_mask": mask})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out

    def _batches(self, ids: list[list[int]]) -> list[list[int]]:
        """Indices by token count, shortest first, in batches of at most ``batch_size`` texts whose
        attention matrices (texts × tokens², padded to the longest) stay under ``MAX_ATTENTION_CELLS``:
        32 chunks of 256 tokens go together, 512-token texts 8 at a time (32 of them took 1.4 GB)."""
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        batches: list[list[int]] = []
        for i in order:
            width = len(ids[i])
            if batches and len(batches[-1]) < self.batch_size and (len(batches[-1]) + 1) * width ** 2 <= MAX_ATTENTION_CELLS:
                batches[-1].append(i)
            else:
                batches.append([i])
        return batches

    def __repr__(self) -> str:
        return f"OnnxE5Embeddings({self.model_name!r}, prefixes={self.prefixes}, batch_size={self.batch_size})"
