"""schemathesis against the published OpenAPI schema: generated requests never get a 5xx.

A bounded run (25 examples per operation) on a fake-embedder bot over a real temporary Chroma.
The local model path points at a missing file, so a generated ``mode: local`` is a ConfigError
(400) rather than loading a real LLM. The schema is loaded at import (schemathesis' lazy
``from_fixture`` does not run under pytest 9); building the app loads nothing, and the articles
are ingested by a module fixture.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from newsrag.chatbot import Chatbot
from newsrag.http.server import create_app
from tests.conftest import ARTICLES, make_settings
from tests.fakes import BagOfWordsEmbeddings

HOME = Path(tempfile.mkdtemp(prefix="newsrag-schema-"))
BOT = Chatbot(make_settings(HOME, answer_mode="extractive", min_score=0.0, llm_model_path=str(HOME / "none.gguf")),
              embeddings=BagOfWordsEmbeddings())
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(BOT, ui=False))


@pytest.fixture(scope="module", autouse=True)
def articles():
    BOT.ingest([ARTICLES])
    yield
    shutil.rmtree(HOME, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_get_no_server_error(case):
    case.call_and_validate(checks=[not_a_server_error])
