"""A real on-disk index of real pages, built once per test session for the web tests.

The sample is the 300 text files with the lexicographically largest names (short
meetings and news items from 2020, and older pages whose ids sort high) plus a few
chosen for what they exercise: long news conferences with speaker turns, interpreted
("retranslated") remarks and foreign-policy tags across several years.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import CORPUS_TEXT
from transcripts.index.writer import reindex
from transcripts.web import create_app

SAMPLE_SIZE = 300
CHOSEN = (
    "57201",  # Russia-Turkey-Iran news conference, 2018: retranslated turns
    "60396",  # news conference in China, 2019: many questions and answers
    "62565",  # Russian-German talks, 2020
    "62277",  # Normandy format summit, 2019
    "62975",  # TASS interview, 2020
)

_built: dict[str, Path] = {}


def sample_paths() -> list[Path]:
    names = sorted(p.name for p in CORPUS_TEXT.glob("*.txt"))
    chosen = [f"{i}.txt" for i in CHOSEN]
    picked = dict.fromkeys([*names[-SAMPLE_SIZE:], *(n for n in chosen if n in names)])
    return [CORPUS_TEXT / n for n in picked]


@pytest.fixture(scope="session")
def web_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once even though two test modules import this fixture."""
    if not CORPUS_TEXT.is_dir():
        pytest.skip(f"the development corpus is absent ({CORPUS_TEXT}): web tests need real pages")
    if "root" not in _built:
        root = tmp_path_factory.mktemp("web-index")
        reindex(sample_paths(), root, full=True)
        _built["root"] = root
    return _built["root"]


@pytest.fixture(scope="module")
def app(web_index_dir: Path) -> Flask:
    """The site over the sample index, one per test module."""
    return create_app({"INDEX_DIR": str(web_index_dir), "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def get(client: FlaskClient, url: str, status: int = 200):
    """A GET that must answer ``status``; says which URL did not."""
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.data[:300])
    return response
