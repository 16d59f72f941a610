"""The default embedder on onnxruntime (int8) against the sentence-transformers reference, the
provider's choice between them, and set-up failing loudly on a bad export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from newsrag.setup.onnx_build import build_onnx, write_latin_tokenizer
from rag import providers
from rag.errors import ConfigError
from rag.onnx_embedder import DIRNAME, TOKENIZER_FILE, E5Tokens, OnnxE5Embeddings
from tests.conftest import E5_PATH, MODELS, make_settings

QUESTIONS = ["How much extra money did Blinken promise the region?",
             "Wie won de verkiezingen in Ierland?",
             "Waarom riep Moskou zijn ambassadeur terug?"]
PASSAGES = ["Hij zegde de regio 25 miljoen dollar extra toe om economische groei te ondersteunen.",
            "Het KNMI verwacht morgen zware windstoten langs de kust en code oranje in Zeeland.",
            "De gemeente Utrecht opent in het voorjaar een nieuwe fietsenstalling bij het station.",
            "Russia recalled its ambassador after the sanctions were announced on Monday.",
            "Kort.",
            " ".join(["Het kabinet debatteerde urenlang over de begroting en de stikstofcrisis."] * 80)]  # > 512 tokens


@pytest.fixture(scope="session")
def onnx_folder(real_embeddings) -> Path:
    """The default ONNX folder, exported and verified on first use (a no-op once ``make setup`` ran)."""
    return build_onnx(E5_PATH, MODELS / DIRNAME)


@pytest.fixture(scope="session")
def onnx_embedder(onnx_folder: Path) -> OnnxE5Embeddings:
    return OnnxE5Embeddings(onnx_folder, batch_size=4)  # several batches of different widths


def test_vectors_agree_with_sentence_transformers(onnx_embedder, real_embeddings) -> None:
    ours = np.array(onnx_embedder.embed_documents(PASSAGES) + onnx_embedder.embed_queries(QUESTIONS))
    reference = np.array(real_embeddings.embed_documents(PASSAGES) + real_embeddings.embed_queries(QUESTIONS))
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() >= 0.99, cosines


def test_tokens_match_sentence_transformers_including_truncation(onnx_embedder, real_embeddings) -> None:
    texts = ["passage: " + p for p in PASSAGES]
    ours = onnx_embedder.tokens.ids(texts)
    theirs = real_embeddings._model.tokenizer(texts, truncation=True, max_length=512)["input_ids"]
    assert ours == [list(t) for t in theirs]
    assert max(len(t) for t in ours) == 512


def test_the_latin_subset_splits_every_text_as_the_whole_tokenizer(onnx_embedder) -> None:
    tokens = E5Tokens(onnx_embedder.tokens._folder, 512)
    assert tokens.uses_subset
    latin = ["passage: " + p for p in PASSAGES] + [
        "", "query: Wat zei Zelensky — „geen vrede zonder terugtrekking” … (€25 miljoen)?",
        "naïve café Ærø Œuvre straße Nguyễn ½ ² ﬁne", "  \t spaties\n\nen regels  "]
    tokens.ids(latin)
    assert "whole" not in vars(tokens)  # Latin text never loads the whole vocabulary
    words = " ".join(["Het kabinet debatteerde over de begroting."] * 60).split(" ")
    untruncated = E5Tokens(tokens._folder, 10_000)
    last = next(j for j in range(len(words)) if len(untruncated.ids([" ".join(words[:j + 1])])[0]) > 511)
    # a Cyrillic letter glued to each word around the 512th token: before, inside and past the cut
    glued = [" ".join(words[:j] + [words[j] + "ж"] + words[j + 1:]) for j in range(last - 3, last + 4)]
    other = ["Путин и Си Цзиньпин", "习近平访问莫斯科", "een emoji 😀 erin", "Moskou (Москва) zei",
             "het werd −3 graden, µ en →", *glued]
    texts = latin + other
    assert tokens.ids(texts) == [e.ids for e in tokens.whole.encode_batch(texts)]
    assert max(len(t) for t in tokens.ids(texts)) == 512


def test_setup_adds_the_subset_to_a_folder_without_it(onnx_folder: Path, tmp_path: Path) -> None:
    (tmp_path / TOKENIZER_FILE).symlink_to(onnx_folder / TOKENIZER_FILE)
    before = E5Tokens(tmp_path, 512)
    assert not before.uses_subset
    write_latin_tokenizer(tmp_path)
    after = E5Tokens(tmp_path, 512)
    assert after.uses_subset and not any(tmp_path.glob(".*tmp*"))
    texts = ["query: Wie won de verkiezingen in Ierland?", "Путин", "passage: " + PASSAGES[-1]]
    assert after.ids(texts) == before.ids(texts)


def test_build_onnx_adds_the_subset_to_a_verified_folder_from_before_it(onnx_folder: Path, tmp_path: Path) -> None:
    older = tmp_path / DIRNAME  # a verified folder as set-up left it before the subset existed
    older.mkdir()
    for file in onnx_folder.iterdir():
        if not file.name.startswith("tokenizer-latin"):
            (older / file.name).symlink_to(file)
    assert build_onnx(E5_PATH, older) == older.resolve()  # reused, not exported again
    assert E5Tokens(older, 512).uses_subset


def test_query_ranking_matches_the_reference(onnx_embedder, real_embeddings) -> None:
    for embedder in (onnx_embedder, real_embeddings):
        scores = np.array(embedder.embed_documents(PASSAGES)) @ np.array(embedder.embed_queries(QUESTIONS)).T
        assert scores[:, 0].argmax() == 0 and scores[:, 2].argmax() == 3, scores


def test_prefixes_unit_length_dimension_and_empty_input(onnx_embedder) -> None:
    query, (passage,) = onnx_embedder.embed_query("x"), onnx_embedder.embed_documents(["x"])
    assert float(np.dot(query, passage)) < 0.999
    vectors = np.array(onnx_embedder.embed_documents(PASSAGES))
    assert onnx_embedder.dimension == 384 and vectors.shape == (len(PASSAGES), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert onnx_embedder.embed_documents([]) == [] and onnx_embedder.embed_queries([]) == []


def test_order_and_batching_do_not_change_vectors(onnx_embedder) -> None:
    together = np.array(onnx_embedder.embed_documents(PASSAGES))
    alone = np.array([onnx_embedder.embed_documents([p])[0] for p in reversed(PASSAGES)])[::-1]
    # int8 activations are scaled per batch, so a text's vector moves a little with its batch-mates.
    assert np.sum(together * alone, axis=1).min() >= 0.995


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="make setup"):
        OnnxE5Embeddings(tmp_path / "no-such-folder")


def test_provider_picks_onnx_by_default_and_sentence_transformers_for_a_named_model(tmp_path: Path,
                                                                                    onnx_folder) -> None:
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / DIRNAME).symlink_to(onnx_folder)
    assert isinstance(providers.build_embeddings(make_settings(home, embed_model="")), OnnxE5Embeddings)
    # A named folder goes to sentence-transformers (here a missing one: its own error, before torch loads).
    with pytest.raises(ConfigError, match="embedding model folder"):
        providers.build_embeddings(make_settings(home, embed_model=str(tmp_path / "custom-model")))


def test_without_the_export_the_default_falls_back_to_sentence_transformers(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="embedding model folder .*multilingual-e5-small does not exist"):
        providers.build_embeddings(make_settings(tmp_path / "empty-home", embed_model=""))


def test_setup_fails_loudly_when_the_export_does_not_match(tmp_path: Path, onnx_folder, monkeypatch) -> None:
    import newsrag.setup.onnx_build as onnx_build

    monkeypatch.setattr(onnx_build, "MIN_COSINE", 1.0001)  # no int8 model reaches it
    monkeypatch.setattr(onnx_build, "VARIANTS", onnx_build.VARIANTS[:1])
    dest = tmp_path / DIRNAME
    with pytest.raises(RuntimeError, match="does NOT match sentence-transformers"):
        build_onnx(E5_PATH, dest)
    assert not dest.exists() and not list(tmp_path.glob(f".{DIRNAME}.*"))  # nothing half-built left behind
