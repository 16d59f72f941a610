"""Export the rebuilt multilingual-e5-small folder once to ONNX, int8, for :mod:`rag.onnx_embedder`.

Steps (``newsrag setup`` runs them after :mod:`rag.e5_build`; a verified folder is reused):

1. the BERT encoder of the sentence-transformers folder is traced by ``torch.onnx.export`` (the
   TorchScript exporter, eager attention, dynamic batch and length), taking ``inputs_embeds``: the
   word-embedding table is saved beside it as ``word_embeddings.npy`` and looked up with numpy;
2. ``onnxruntime.quantization.quantize_dynamic`` (``op_types_to_quantize=["MatMul"]``, per channel)
   turns the weights of the attention MatMuls (query, key, value, output projections) into int8;
   activations are quantized at run time. The FFN MatMuls stay fp32 (in int8 they cost retrieval
   quality, see ``VARIANTS``), and so does the word-embedding table, which is not in the graph at
   all (int8 there hurt ranking);
3. :func:`verify_onnx` embeds fixed Dutch and English queries and passages (and two texts past 512
   tokens, all in one padded batch) with both the ONNX folder and sentence-transformers, and the
   folder is renamed into place with a ``.newsrag-verified`` marker only when every cosine is at
   least ``MIN_COSINE``. If the int8 graph falls short, the fp32 graph is checked instead; if that
   falls short too, set-up fails with the cosine and the text.

    python -m rag.onnx_build [SRC [DEST]]   # default: <home>/models/multilingual-e5-small(-onnx)
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np

from rag.e5_build import _PASSAGES, _QUERIES, PROMPTS
from rag.errors import ConfigError, NewsragError
from rag.onnx_embedder import CONFIG_FILE, MODEL_FILE, TABLE_FILE, TOKENIZER_FILE, OnnxE5Embeddings
from rag.settings import Settings

# torch and transformers are imported inside the functions that need them (set-up only).

DIRNAME = "multilingual-e5-small-onnx"
MARKER = ".newsrag-verified"
MIN_COSINE = 0.99
OPSET = 17
REQUIRED_FILES = (MODEL_FILE, TABLE_FILE, TOKENIZER_FILE, CONFIG_FILE, MARKER)
# Tried in order; the first that passes verify_onnx is kept: (name, MatMuls left in fp32 by name
# ending, or None for no quantization at all). Measured on the eval sets (docs/benchmarks.md): int8
# attention projections keep every retrieval metric of torch fp32 (mrr within 0.001) at 1.1x the
# speed of the fp32 graph; the FFN input in int8 too is 1.35x faster again but lost 2-3 questions of
# hit@1 or hit@k on tune/holdout; every MatMul in int8 fell to cosine 0.986 on a long repetitive text.
VARIANTS = (("int8-attention", ("intermediate/dense/MatMul", "output/dense/MatMul")),
            ("fp32", None))


def default_paths(settings: Settings | None = None) -> tuple[Path, Path]:
    """(the sentence-transformers folder, the ONNX folder) under the settings' models folder."""
    from rag.e5_build import DIRNAME as E5_DIRNAME
    from rag.settings import Settings

    models = (settings or Settings.from_env()).models_dir
    return models / E5_DIRNAME, models / DIRNAME


def is_complete(path: Path) -> bool:
    """Every file there, verified, and built as one of today's ``VARIANTS`` (else set-up redoes it)."""
    if not all((Path(path) / name).is_file() for name in REQUIRED_FILES):
        return False
    try:
        return json.loads((Path(path) / MARKER).read_text()).get("variant") in {name for name, _ in VARIANTS}
    except (OSError, ValueError):
        return False


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
    from rag.e5_build import MAX_SEQ_LENGTH

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
    ours = [e.ids for e in embedder._tokenizer.encode_batch(texts)]
    if ours != [list(i) for i in expected_ids]:
        raise RuntimeError(f"the tokenizer in {folder} splits the check texts unlike sentence-transformers")
    cosines = np.sum(embedder.encode(texts) * expected, axis=1)
    worst = int(cosines.argmin())
    return float(cosines[worst]), texts[worst][:80]


def build_onnx(src: Path, dest: Path) -> Path:
    """Make sure ``dest`` is a complete, verified ONNX folder exported from ``src``; build it if not."""
    src, dest = Path(src).expanduser().resolve(), Path(dest).expanduser().resolve()
    if is_complete(dest):
        return dest
    if not (src / "config.json").is_file():
        raise ConfigError(f"embedding model folder {src} does not exist: build it first (`python -m rag.e5_build`)")
    if dest.exists() and any(dest.iterdir()) and not (dest / CONFIG_FILE).exists():
        raise ConfigError(f"{dest} exists and is not an ONNX embedder folder: refusing to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    old = tmp.with_suffix(".old")
    try:
        built, fp32 = tmp / "model", tmp / "encoder-fp32.onnx"
        built.mkdir()
        _export(src, fp32, built)
        reference = reference_vectors(src, _texts())
        tried = []
        for name, keep_fp32 in VARIANTS:
            _quantize(fp32, built / MODEL_FILE, keep_fp32)
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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 2 or any(a.startswith("-") for a in args):
        print("usage: python -m rag.onnx_build [SRC [DEST]]", file=sys.stderr)
        return 2
    src, dest = default_paths()
    if args:
        src = Path(args[0])
        dest = Path(args[1]) if len(args) > 1 else src.with_name(src.name + "-onnx")
    started = time.perf_counter()
    reused = is_complete(dest)
    try:
        path = build_onnx(src, dest)
    except (RuntimeError, NewsragError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    marker = json.loads((path / MARKER).read_text())
    what = "already exported and verified" if reused else "exported and verified"
    print(f"{path}: {what} ({marker['variant']}), min cosine vs sentence-transformers {marker['min_cosine']:.5f} "
          f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
