"""Export the rebuilt multilingual-e5-small folder once to ONNX, int8, for :mod:`rag.onnx_embedder`.

Steps (``newsrag setup`` runs them after :mod:`newsrag.setup.e5_build`; a verified folder is reused):

1. the BERT encoder of the sentence-transformers folder is traced by ``torch.onnx.export`` (the
   TorchScript exporter, eager attention, dynamic batch and length), taking ``inputs_embeds``: the
   word-embedding table is saved beside it as ``word_embeddings.npy`` and looked up with numpy;
2. ``onnxruntime.quantization.quantize_dynamic`` (``op_types_to_quantize=["MatMul"]``, per channel)
   turns the weights of the attention MatMuls (query, key, value, output projections) into int8;
   activations are quantized at run time. The FFN MatMuls stay fp32 (in int8 they cost retrieval
   quality, see ``KEEP_FP32``), and so does the word-embedding table, which is not in the graph at
   all (int8 there hurt ranking);
3. :func:`verify_onnx` embeds fixed Dutch and English queries and passages (and two texts past 512
   tokens, all in one padded batch) with both the ONNX folder and sentence-transformers, and the
   folder is renamed into place with a ``.newsrag-verified`` marker only when every cosine is at
   least ``MIN_COSINE``. If the int8 graph falls short, the fp32 graph is checked instead; if that
   falls short too, set-up fails with the cosine and the text.
4. :func:`write_latin_tokenizer` writes the tokenizer again with only the Latin-script pieces of its
   vocabulary, which loads in under a third of the time (``rag.onnx_embedder.E5Tokens`` says why it splits
   every text as the whole tokenizer does); a verified folder from before it gets it added.

The folder's layout, and what makes it complete, are :mod:`rag.onnx_embedder`'s: the app reads it.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np

from newsrag.setup.e5_build import _PASSAGES, _QUERIES, PROMPTS
from rag.errors import ConfigError
from rag.onnx_embedder import (
    CONFIG_FILE,
    LATIN_IDS_FILE,
    LATIN_TOKENIZER_FILE,
    MARKER,
    MODEL_FILE,
    TABLE_FILE,
    TOKENIZER_FILE,
    UNK,
    VARIANTS,
    OnnxE5Embeddings,
    is_complete,
)

# torch and transformers are imported inside the functions that need them (set-up only).
log = logging.getLogger(__name__)

MIN_COSINE = 0.99
OPSET = 17
# The exports tried, in the order of ``rag.onnx_embedder.VARIANTS``; the first that passes verify_onnx is
# kept: the MatMuls each leaves in fp32 (by name ending), or None for no quantization at all. Measured on
# the eval sets (docs/benchmarks.md): int8 attention projections keep every retrieval metric of torch
# fp32 (mrr within 0.001) at 1.1x the speed of the fp32 graph; the FFN input in int8 too is 1.35x
# faster again but lost 2-3 questions of hit@1 or hit@k on tune/holdout; every MatMul in int8 fell to
# cosine 0.986 on a long repetitive text.
KEEP_FP32: dict[str, tuple[str, ...] | None] = {
    "int8-attention": ("intermediate/dense/MatMul", "output/dense/MatMul"),
    "fp32": None,
}


def _export(src: Path, fp32_path: Path, out: Path) -> None:
    """The fp32 encoder graph to ``fp32_path``; table, tokenizer and config into ``out``."""
    import torch
    import transformers
    from transformers import AutoModel

    transformers.utils.logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(src), attn_implementation="eager", dtype=torch.float32,
                                      local_files_only=True).eval()
    table = model.get_input_embeddings().weight.detach().numpy()
    np.save(out / TABLE_FILE, np.ascontiguousarray(table, dtype=np.float32))

    class Encoder(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds, attention_mask):
            return self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                             token_type_ids=torch.zeros_like(attention_mask)).last_hidden_state

    example = (torch.randn(2, 7, table.shape[1]), torch.tensor([[1] * 5 + [0] * 2, [1] * 7]))
    axes = {0: "batch", 1: "tokens"}
    # The tracer warns that transformers' mask code branches on (mask length - token count) > 0; our
    # mask always has one entry per token, so the branch traced (not taken) is the one every input takes.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Encoder(model), example, str(fp32_path), dynamo=False, opset_version=OPSET,
                          input_names=["inputs_embeds", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "last_hidden_state": axes})
    shutil.copyfile(src / TOKENIZER_FILE, out / TOKENIZER_FILE)
    st_config = json.loads((src / "sentence_bert_config.json").read_text())
    (out / CONFIG_FILE).write_text(json.dumps({
        "max_seq_length": int(st_config.get("max_seq_length") or _max_length(src)),
        "pad_token_id": model.config.pad_token_id,
        "hidden_size": model.config.hidden_size,
        "prompts": PROMPTS,
        "pooling": "mean",
        "normalize": True,
    }, indent=2) + "\n")


def _max_length(src: Path) -> int:
    from newsrag.setup.e5_build import MAX_SEQ_LENGTH

    config = json.loads((src / "tokenizer_config.json").read_text())
    return int(config.get("model_max_length", MAX_SEQ_LENGTH))


def _quantize(fp32_path: Path, dest: Path, keep_fp32: tuple[str, ...] | None) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    if keep_fp32 is None:
        shutil.copyfile(fp32_path, dest)
        return

    graph = onnx.load(str(fp32_path), load_external_data=False).graph
    exclude = [n.name for n in graph.node if n.op_type == "MatMul" and "attention" not in n.name
               and any(n.name.endswith(k) for k in keep_fp32)]
    quantize_dynamic(str(fp32_path), str(dest), op_types_to_quantize=["MatMul"], per_channel=True,
                     weight_type=QuantType.QInt8, nodes_to_exclude=exclude or None)


def _latin(piece: str) -> bool:
    """Made only of Latin-script letters (with accents), digits, ASCII and general punctuation, the
    currency signs, Greek letters (µ is normalized to μ), letter-like symbols, arrows, mathematical
    operators (− in "−3 graden") and the word-start mark ``▁``: what Dutch and English news is
    written in. Any set of characters keeps the subset exact (``rag.onnx_embedder.E5Tokens``); a
    character outside it only costs loading the whole tokenizer."""
    return all(ord(c) < 0x250 or 0x370 <= ord(c) < 0x400 or 0x1E00 <= ord(c) < 0x1F00
               or 0x2000 <= ord(c) < 0x20D0 or 0x2100 <= ord(c) < 0x2300 or c == "\u2581" for c in piece)


def write_latin_tokenizer(folder: Path) -> None:
    """``LATIN_TOKENIZER_FILE`` and ``LATIN_IDS_FILE`` from the folder's ``tokenizer.json``: the
    special pieces first (``<s>``, ``<pad>``, ``</s>``, ``<unk>`` keep ids 0-3, which the template
    refers to) and every Latin piece. The lowest score must be a Latin piece's (an unknown character
    costs that minus 10, in both vocabularies alike), else no subset is written. Each file is written
    under a temporary name and renamed, the tokenizer last."""
    config = json.loads((folder / TOKENIZER_FILE).read_text(encoding="utf-8"))
    model = config["model"]
    if model.get("type") != "Unigram" or model.get("byte_fallback"):
        return  # the argument of rag.onnx_embedder.E5Tokens holds for a unigram model without byte fallback
    vocab = model["vocab"]
    special = {t["id"] for t in config["added_tokens"]} | {model["unk_id"]}
    lowest = min(score for _, score in vocab)
    if not any(score == lowest and _latin(piece) for piece, score in vocab):
        return  # the subset's unknown-character penalty would differ from the whole vocabulary's
    keep = [i for i, (piece, _) in enumerate(vocab) if i in special or _latin(piece)]
    if keep[:4] != [0, 1, 2, 3] or vocab[model["unk_id"]][0] != UNK:
        raise RuntimeError(f"{folder / TOKENIZER_FILE}: the special pieces are not ids 0-3; no subset written")
    new_id = {old: new for new, old in enumerate(keep)}
    model["vocab"] = [vocab[i] for i in keep]
    model["unk_id"] = new_id[model["unk_id"]]
    for token in config["added_tokens"]:
        token["id"] = new_id[token["id"]]
    ids_tmp, json_tmp = folder / f".{LATIN_IDS_FILE}.tmp.npy", folder / f".{LATIN_TOKENIZER_FILE}.tmp"
    np.save(ids_tmp, np.array(keep, dtype=np.int64))
    ids_tmp.replace(folder / LATIN_IDS_FILE)
    json_tmp.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    json_tmp.replace(folder / LATIN_TOKENIZER_FILE)


def _texts() -> list[str]:
    long = " ".join(_PASSAGES * 40)  # past 512 tokens: truncation and a wide padded batch
    repetitive = " ".join([_PASSAGES[2]] * 60)  # the hardest case for int8 found so far
    return ([PROMPTS["query"] + q for q in _QUERIES] + [PROMPTS["passage"] + p for p in _PASSAGES]
            + [PROMPTS["passage"] + long, PROMPTS["passage"] + repetitive])


def reference_vectors(src: Path, texts: list[str]) -> tuple[np.ndarray, list[list[int]]]:
    """sentence-transformers' vectors for ``texts`` (prefixes included) and its token ids."""
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()
    model = SentenceTransformer(str(src), device="cpu", local_files_only=True, model_kwargs={"dtype": torch.float32})
    ids = model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"]
    return model.encode(texts, normalize_embeddings=True, convert_to_numpy=True), ids


def verify_onnx(folder: Path, src: Path,
                reference: tuple[np.ndarray, list[list[int]]] | None = None) -> tuple[float, str]:
    """(minimum cosine between the ONNX folder's and sentence-transformers' vectors, the worst text)."""
    texts = _texts()
    expected, expected_ids = reference or reference_vectors(src, texts)
    embedder = OnnxE5Embeddings(folder, batch_size=len(texts))
    ours = embedder.tokens.ids(texts)
    if ours != [list(i) for i in expected_ids]:
        raise RuntimeError(f"the tokenizer in {folder} splits the check texts unlike sentence-transformers")
    cosines = np.sum(embedder.encode(texts) * expected, axis=1)
    worst = int(cosines.argmin())
    return float(cosines[worst]), texts[worst][:80]


def build_onnx(src: Path, dest: Path) -> Path:
    """Make sure ``dest`` is a complete, verified ONNX folder exported from ``src``; build it if not."""
    src, dest = Path(src).expanduser().resolve(), Path(dest).expanduser().resolve()
    if is_complete(dest):
        if not all((dest / name).is_file() for name in (LATIN_TOKENIZER_FILE, LATIN_IDS_FILE)):
            try:
                write_latin_tokenizer(dest)  # a folder verified before the subset existed
            except OSError as error:  # e.g. read-only: the whole tokenizer is used, 0.5 s slower to load
                log.warning("no tokenizer subset written in %s: %s", dest, error)
        return dest
    if not (src / "config.json").is_file():
        raise ConfigError(f"embedding model folder {src} does not exist: build it first (`newsrag setup`)")
    if dest.exists() and any(dest.iterdir()) and not (dest / CONFIG_FILE).exists():
        raise ConfigError(f"{dest} exists and is not an ONNX embedder folder: refusing to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    old = tmp.with_suffix(".old")
    try:
        built, fp32 = tmp / "model", tmp / "encoder-fp32.onnx"
        built.mkdir()
        _export(src, fp32, built)
        write_latin_tokenizer(built)
        reference = reference_vectors(src, _texts())
        tried = []
        for name in VARIANTS:
            _quantize(fp32, built / MODEL_FILE, KEEP_FP32[name])
            cosine, text = verify_onnx(built, src, reference)
            tried.append(f"{name}: cosine {cosine:.4f} on {text!r}")
            if cosine >= MIN_COSINE:
                break
        else:
            raise RuntimeError(f"the ONNX export of {src} does NOT match sentence-transformers (need cosine >= "
                               f"{MIN_COSINE}): {'; '.join(tried)}. Do not use it; set NEWSRAG_EMBED_MODEL={src} "
                               f"to embed with sentence-transformers instead")
        (built / MARKER).write_text(json.dumps({
            "min_cosine": round(cosine, 6), "variant": name, "source": str(src),
            "onnxruntime": version("onnxruntime"), "torch": version("torch"),
        }) + "\n")
        for file in built.rglob("*"):
            file.chmod(0o755 if file.is_dir() else 0o644)
        if dest.exists():
            dest.rename(old)
        try:
            built.rename(dest)
        except OSError:
            if not is_complete(dest):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return dest

