"""A bounded load test: 2,000 workload searches at concurrency 8 against the real server."""

from __future__ import annotations

from bench.load import run_load
from bench.site import free_port, start_server, stop_server
from tests.conftest import QUERIES, need


def test_two_thousand_searches_at_concurrency_8_get_no_error(corpus_index):
    queries = need(QUERIES)
    port = free_port()
    server = start_server(corpus_index.root, port, threads=8, wait=120)
    try:
        figures = run_load(f"http://127.0.0.1:{port}", queries, requests=2000, concurrency=8)
    finally:
        stop_server(server)
    print(f"\nload: {figures}")
    assert figures["errors"] == 0, figures
    assert figures["ok"] == 2000
