"""What the fetch tests share: the replay folder, a fake clock, options for a run.

The replay of en.kremlin.ru is ``../shared/site/en.kremlin.ru``; tests that serve it skip
with a reason when it is absent.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import SHARED_DIR

from transcripts.index.fetch import FetchOptions
from transcripts.index.fetch.clock import Clock

SITE_DIR = SHARED_DIR / "site" / "en.kremlin.ru"
NEWS = "/events/president/news"


def need_site() -> Path:
    if not (SITE_DIR / "robots.txt").is_file():
        pytest.skip(f"{SITE_DIR} is absent: the fetch tests serve the shared replay of the site")
    return SITE_DIR


class FakeClock:
    """Time that passes only when the fetcher sleeps: 2-second gaps cost nothing."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def wall(self) -> float:
        return 1_600_000_000.0 + self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds

    def clock(self) -> Clock:
        return Clock(monotonic=self.monotonic, wall=self.wall, sleep=self.sleep,
                     rng=random.Random(7))


def options(corpus: Path, url: str, **kw) -> FetchOptions:
    """The real defaults (2 s delay, jitter, 4 tries), a generous budget, this site."""
    kw.setdefault("max_requests", 5000)
    return FetchOptions(corpus=corpus, base_url=url, **kw)


def stored(folder: Path) -> dict[str, bytes]:
    return {p.stem: p.read_bytes() for p in folder.glob("*.html")}


def is_event_page(path: str) -> bool:
    return path.startswith(NEWS + "/") and path[len(NEWS) + 1 :].isdigit()


def event_requests(site) -> list[str]:
    return [p for p in site.paths() if is_event_page(p)]


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Loopback only: a proxy from the environment must never carry the tests' requests."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
