"""The index knows its embedder: another one is refused in one line that says how to re-index, and an
index made before the record existed adopts the embedder of its next write, quietly."""

from __future__ import annotations

import pytest

from ingest.pipeline import ingest
from newsrag.chatbot import Chatbot
from rag import providers
from rag.embedder_id import EmbedderId, identity_of, is_e5, model_name
from rag.errors import ConfigError
from tests.conftest import ARTICLES, E5_PATH, make_settings
from tests.fakes import BagOfWordsEmbeddings


class OtherModel(BagOfWordsEmbeddings):
    @property
    def identity(self):
        return EmbedderId("bge-m3", "none", self.dim)


def refused(call) -> str:
    with pytest.raises(ConfigError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message and "NEWSRAG_COLLECTION=<new name> newsrag ingest" in message
    return message


def test_the_index_records_its_embedder_and_refuses_another(fake_bot, tmp_path) -> None:
    fake_bot.ingest([ARTICLES])
    assert fake_bot.index.embedder == EmbedderId("bag-of-words", "none", 512)

    other = Chatbot(fake_bot.settings, embeddings=OtherModel())
    message = refused(lambda: other.search("Blinken"))
    assert "'bag-of-words' (512 dimensions, no prefixes)" in message and "'bge-m3'" in message
    refused(lambda: other.ingest([tmp_path]))

    smaller = Chatbot(fake_bot.settings, embeddings=BagOfWordsEmbeddings(dim=256))  # same name, other size
    assert "vectors of 256 dimensions" in refused(lambda: smaller.search("Blinken"))
    assert Chatbot(fake_bot.settings, embeddings=BagOfWordsEmbeddings()).search("Blinken")  # the same: fine


def test_an_index_without_the_record_adopts_the_embedder_quietly(fake_bot, fake_embeddings) -> None:
    ingest([ARTICLES], fake_bot.index, fake_embeddings)  # as an older version wrote it: no record
    assert fake_bot.index.embedder is None
    assert fake_bot.search("Blinken")  # reading does not write a record
    fake_bot.ingest([ARTICLES])  # the next write adopts the embedder, even with nothing to embed
    assert fake_bot.index.embedder == EmbedderId("bag-of-words", "none", 512)
    refused(lambda: Chatbot(fake_bot.settings, embeddings=OtherModel()).search("Blinken"))


def test_names_of_one_model_agree_wherever_it_runs(tmp_path) -> None:
    assert model_name(str(E5_PATH)) == model_name("/x/multilingual-e5-small-onnx") == \
        model_name("intfloat/multilingual-e5-small") == "multilingual-e5-small"
    assert is_e5("intfloat/multilingual-e5-large-instruct") and not is_e5("BAAI/bge-m3")
    onnx = providers.embedder_identity(make_settings(tmp_path, embed_model=""))
    local = providers.embedder_identity(make_settings(tmp_path))
    served = providers.embedder_identity(make_settings(tmp_path, embed_model="intfloat/multilingual-e5-small",
                                                       embed_base_url="http://127.0.0.1:9/v1"))
    assert onnx == local == served == EmbedderId("multilingual-e5-small", "e5")
    assert identity_of(object()) == EmbedderId("object")
