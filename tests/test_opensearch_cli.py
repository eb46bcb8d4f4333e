"""`transcripts` and the site on the OpenSearch backend, as a user runs them: real
subprocesses against the session's node (``opensearch_node`` in conftest.py), and
against a port where nothing listens.

* A cluster that cannot be reached is said in one line, with exit status 1, by `search`
  and `reindex`; `serve` stops at once with that line last; the site answers 503 (a page,
  or JSON under /api/); a password in the URL or the environment shows nowhere, and no
  traceback does.
* `reindex --backend opensearch` then `search --backend opensearch --json` answer as the
  embedded index does on the same files; the environment variables work as the options.
* `serve --backend opensearch` on an alias with no index builds the demo corpus first;
  two servers over one cluster answer alike.
* An update in place (added, changed and removed files) leaves the index as a fresh full
  build of the same files would be: totals, facets, vocabulary, "did you mean".
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, SEEDS

from transcripts.index.opensearch.connection import ClusterSettings, client
from transcripts.index.opensearch.writer import lock_index, reindex, vocabulary_alias
from transcripts.index.schema import EXACT, TEXT
from transcripts.search import opensearch_engine
from transcripts.search.opensearch_engine import ClusterIndex
from transcripts.search.results import SearchRequest

USER, SECRET = "reader", "s3cret-Pa55word"
ENV_NAMES = ("TRANSCRIPTS_BACKEND", "TRANSCRIPTS_OPENSEARCH_URL", "TRANSCRIPTS_OPENSEARCH_INDEX")


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the project's settings (the options under test decide),
    plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRANSCRIPTS_")}
    env.update(PYTHONPATH=str(PROJECT_DIR), PYTHONUNBUFFERED="1", **extra)
    return env


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "transcripts", *args], cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=300, env=env or clean_env())


def on(node, alias: str) -> list[str]:
    return ["--backend", "opensearch", "--opensearch-url", node.url, "--opensearch-index", alias]


def drop_alias(node, alias: str) -> None:
    """No index (nor lock) left under ``alias`` by an earlier run on this node."""
    conn = client(ClusterSettings.from_env(node.url, alias, env={}))
    conn.indices.delete(index=f"{alias}-g*", expand_wildcards="all", ignore_unavailable=True)
    conn.indices.delete(index=lock_index(alias), ignore_unavailable=True)


def copy_of(files: list[Path], folder: Path) -> Path:
    folder.mkdir(parents=True)
    for f in files:
        shutil.copy2(f, folder / f.name)
    return folder


def comparable(data: dict) -> dict:
    data = dict(data)
    data.pop("took_ms")
    return data


# -- a cluster that cannot be reached -------------------------------------------------------
@pytest.fixture
def dead_port():
    """A port bound but never listening: connections are refused, and nothing else can
    take the port while the test runs."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def one_line_error(done: subprocess.CompletedProcess, port: int) -> str:
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert SECRET not in output and "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "cannot be reached" in lines[0] and f"127.0.0.1:{port}" in lines[0], output
    return lines[0]


@pytest.mark.parametrize("args", [["search", "russia"], ["search", "--json", "russia"],
                                  ["reindex", str(SEEDS)]], ids=" ".join)
def test_an_unreachable_cluster_is_one_line_and_status_1(dead_port, args):
    url = f"http://{USER}:{SECRET}@127.0.0.1:{dead_port}"
    line = one_line_error(cli(*args, "--backend", "opensearch", "--opensearch-url", url),
                          dead_port)
    if "--json" in args:
        assert "cannot be reached" in json.loads(line)["error"]
    # The same from the environment, the password from its own variable.
    env = clean_env(TRANSCRIPTS_BACKEND="opensearch",
                    TRANSCRIPTS_OPENSEARCH_URL=f"http://127.0.0.1:{dead_port}",
                    TRANSCRIPTS_OPENSEARCH_USER=USER, TRANSCRIPTS_OPENSEARCH_PASSWORD=SECRET)
    one_line_error(cli(*args, env=env), dead_port)


def test_serve_on_an_unreachable_cluster_fails_at_once_without_a_traceback(dead_port):
    url = f"http://{USER}:{SECRET}@127.0.0.1:{dead_port}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = cli("serve", "--port", str(port), "--backend", "opensearch", "--opensearch-url", url)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert SECRET not in output and "Traceback" not in output, output
    last = output.strip().splitlines()[-1]
    assert last.startswith("error:") and "cannot be reached" in last, output


PAGES = ["/", "/?q=russia", "/?q=russia&speaker=Vladimir+Putin", "/t/62094", "/trends?q=gas",
         "/speakers", "/speaker/Vladimir%20Putin", "/kwic?q=russia", "/export?q=russia",
         "/api/search?q=russia", "/api/search", "/api/transcripts/62094", "/api/kwic?q=russia",
         "/api/trends?q=gas", "/api/speakers"]


def test_the_site_answers_503_when_the_cluster_cannot_be_reached(dead_port, caplog):
    from transcripts.web import create_app

    url = f"http://{USER}:{SECRET}@127.0.0.1:{dead_port}"
    app = create_app({"BACKEND": "opensearch", "OPENSEARCH_URL": url, "TESTING": True,
                      "WARM_INDEX": False})
    web = app.test_client()
    caplog.set_level(logging.INFO)
    for path in PAGES:
        response = web.get(path)
        body = response.get_data(as_text=True)
        assert response.status_code == 503, (path, body)
        assert SECRET not in body and "Traceback" not in body, path
        if path.startswith("/api/"):
            assert response.is_json and "cannot answer" in response.json["error"], path
        else:
            assert "cannot answer right now" in body, path
    assert SECRET not in caplog.text and "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert any("cannot be reached" in r.getMessage() for r in caplog.records)


# -- the CLI over a real node ---------------------------------------------------------------
CLI_QUERIES = [["russia"], ["oil prices"], ["econ*", "--sort", "newest"],
               ["", "--speaker", "Vladimir Putin", "--sort", "oldest"], ["russa"],
               ["gas", "--geography", "Germany"]]


def test_cli_reindex_and_search_answer_as_the_embedded_index(opensearch_node, tmp_path):
    """The same 150 files indexed by `reindex` into each backend; `search --json` gives
    the same totals, facets and "did you mean" (and for a date sort the same page),
    with the backend named by options or by TRANSCRIPTS_* variables alike."""
    alias = "cli-reindex"
    drop_alias(opensearch_node, alias)
    folder = copy_of(sorted(SEEDS.glob("*.txt"))[:150], tmp_path / "files")
    index_dir = tmp_path / "index"
    embedded = cli("reindex", str(folder), "--index-dir", str(index_dir))
    assert embedded.returncode == 0, embedded.stderr
    built = cli("reindex", str(folder), *on(opensearch_node, alias))
    assert built.returncode == 0, built.stdout + built.stderr
    assert f"OpenSearch index '{alias}'" in built.stdout and "150 transcripts in" in built.stdout
    env = clean_env(TRANSCRIPTS_BACKEND="opensearch",
                    TRANSCRIPTS_OPENSEARCH_URL=opensearch_node.url,
                    TRANSCRIPTS_OPENSEARCH_INDEX=alias)
    again = cli("reindex", str(folder), env=env)  # from the environment: nothing to do
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"OpenSearch index '{alias}'" in again.stdout and "is up to date" in again.stdout
    for i, query in enumerate(CLI_QUERIES):
        a = cli("search", "--json", *query, "--index-dir", str(index_dir))
        if i % 2:
            b = cli("search", "--json", *query, env=env)
        else:
            b = cli("search", "--json", *query, *on(opensearch_node, alias))
        assert a.returncode == b.returncode == 0, a.stderr + b.stderr
        x, y = json.loads(a.stdout), json.loads(b.stdout)
        assert (x["total"], x["total_transcripts"]) == (y["total"], y["total_transcripts"]), query
        assert x["total"] > 0 or x["suggestion"], query  # no vacuous comparison
        assert (x["facets"], x["suggestion"], x["notes"]) == (
            y["facets"], y["suggestion"], y["notes"]), query
        if "--sort" in query:
            assert comparable(x) == comparable(y), query


# -- serve ----------------------------------------------------------------------------------
class Server:
    """`transcripts serve` in a subprocess; ready once it prints "Serving on"."""

    def __init__(self, node, alias: str):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "transcripts",
             "serve", "--port", str(self.port), *on(node, alias)],
            cwd=PROJECT_DIR, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("Serving on"):
                self.ready.set()
        self.ready.set()  # it ended

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def __enter__(self) -> Server:
        try:
            # A first build of the demo corpus takes 10-20 s on two cores: wide margin.
            assert self.ready.wait(timeout=300), self.output
            assert self.proc.poll() is None, self.output
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=60) as r:
            assert r.status == 200
            return json.load(r)


API_SEARCHES = ["/api/search?q=russia", "/api/search?q=russia&page=2",
                "/api/search?q=oil+prices&sort=newest", "/api/search?speaker=Vladimir+Putin",
                "/api/search?q=russa"]


def test_two_servers_over_one_cluster_answer_alike_and_the_first_builds_the_seeds(
    opensearch_node, seeds_index
):
    from transcripts.search import engine

    alias = "cli-serve"
    drop_alias(opensearch_node, alias)
    with Server(opensearch_node, alias) as first:
        assert f"No index in OpenSearch index '{alias}'" in first.output, first.output
        assert "617 transcripts in the index" in first.output, first.output
        with Server(opensearch_node, alias) as second:
            assert "No index" not in second.output, second.output
            for path in API_SEARCHES:
                a, b = first.get(path), second.get(path)
                assert comparable(a) == comparable(b), path
            russia = first.get(API_SEARCHES[0])
    want = engine.search(seeds_index, SearchRequest(q="russia"))
    assert (russia["total"], russia["total_transcripts"]) == (want.total, want.total_transcripts)


# -- an update in place ---------------------------------------------------------------------
PROBES = [SearchRequest(q=q) for q in ("", "russia", "econ*", "zanzibarian", "quokkas",
                                       "president", '"trade and economic"', "gas OR oil")]
PROBES += [SearchRequest(q="", speaker=["Vladimir Putin"]),
           SearchRequest(q="russia", sort="newest")]
MISSPELT = ["russa", "econmy", "zanzibaran", "presdent putn"]
PREFIXES = [(field, head) for field in (TEXT, EXACT, "title") for head in ("econ", "rus", "zan",
                                                                            "pre", "q")]


def vocabulary(conn, alias: str) -> dict[tuple[str, str], dict]:
    from opensearchpy import helpers

    words = {}
    for hit in helpers.scan(conn, index=vocabulary_alias(alias), size=5000,
                            query={"query": {"match_all": {}}}):
        src = hit["_source"]
        if src.get("field") != "_generation":
            words[src["field"], src["word"]] = src  # df, and uses for exact words
    return words


def test_an_update_in_place_equals_a_fresh_build_of_the_same_files(opensearch_node, tmp_path):
    """40 files built; then one changed (a turn with new words added), one removed, one
    added, and `reindex` run without --full: the alias still names the same index, only
    the two new files were read, and every search, facet count, prefix expansion and
    suggestion equals a fresh full build of the folder, as does the whole vocabulary."""
    files = sorted(SEEDS.glob("*.txt"))
    folder = copy_of(files[:40], tmp_path / "files")
    updated, fresh = "update-in-place", "update-fresh"
    for alias in (updated, fresh):
        drop_alias(opensearch_node, alias)
    settings = ClusterSettings.from_env(opensearch_node.url, updated, env={})
    conn = client(settings)
    first = reindex([folder], settings)
    assert first.full and first.transcripts_total == 40

    changed = folder / files[10].name
    text = changed.read_text()
    assert "\nPublication status\n" in text  # the page's footer, not read as text
    changed.write_text(text.replace("\nPublication status\n", "\nVladimir Putin: Zanzibarian "
                                    "quokkas, presidential economics and Russian gas.\n"
                                    "Publication status\n", 1))
    (folder / files[5].name).unlink()
    shutil.copy2(files[40], folder / files[40].name)
    report = reindex([folder], settings)
    assert not report.full and not report.skipped, report
    assert (report.files_read, report.files_unchanged, report.files_removed) == (2, 38, 1)
    assert report.transcripts_total == 40
    assert sorted(conn.indices.get_alias(name=updated)) == [first.generation]  # in place
    assert report.generation == first.generation

    other = ClusterSettings.from_env(opensearch_node.url, fresh, env={})
    reindex([folder], other, full=True)
    a, b = ClusterIndex(settings), ClusterIndex(other)
    assert a.current().doc_count == b.current().doc_count
    for req in PROBES + [SearchRequest(q=q) for q in MISSPELT]:
        x, y = opensearch_engine.search(a, req), opensearch_engine.search(b, req)
        assert (x.total, x.total_transcripts, x.facets, x.suggestion, x.notes) == (
            y.total, y.total_transcripts, y.facets, y.suggestion, y.notes), req
    hits = opensearch_engine.search(a, SearchRequest(q="zanzibarian"))
    assert hits.total == 1 and hits.transcripts[0].title  # the change is in
    for q in MISSPELT[:3]:
        assert opensearch_engine.search(a, SearchRequest(q=q)).suggestion, q
    for field, head in PREFIXES:
        assert a.current().expand_prefix(field, head) == b.current().expand_prefix(field, head)
    assert vocabulary(conn, updated) == vocabulary(conn, fresh)
    assert a.current().people.shown == b.current().people.shown
