"""A loopback replay of en.kremlin.ru (``../shared/site``) with switchable faults.

Serves ``../shared/site/en.kremlin.ru/`` on 127.0.0.1 from a real
``ThreadingHTTPServer`` (each file's path is its URL path), for the fetcher's tests and
benchmark. Faults are switched on per URL path and counted down per request, so a test
can say "the first two requests for this page get 429 with Retry-After: 30" and the
retries really go over the socket:

* ``retry_after[path] = (n, seconds)``: 429 with Retry-After, n times;
* ``unavailable[path] = n``: 503 without Retry-After, n times;
* ``reset[path] = n``: the connection is reset (RST) before any answer, n times;
* ``slow[path] = (n, seconds)``: the answer starts only after ``seconds`` (real time);
* ``truncate[path] = n``: Content-Length says more than is sent, then the socket closes;
* ``content_type[path]``: a different Content-Type (a "non-HTML" answer);
* ``override[path] = bytes``: other content for a path (an edited page, the same listing
  page served twice, a robots.txt that disallows something);
* ``missing``: paths answered 404 although the replay holds them;
* ``gzip``: compress answers for clients that accept it;
* ``etags``: send an ETag and answer If-None-Match with 304;
* ``forbid_after``: every request after that many gets ``forbid_status`` (403, or 418):
  the site's network block.

Every request is logged (time by the given clock, path, status, headers) for the
tests' assertions. ``python -m bench.replay_site`` serves it by hand.
"""

from __future__ import annotations

import argparse
import gzip as gzip_module
import hashlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parents[1]
SITE_DIR = PROJECT_DIR.parent / "shared" / "site" / "en.kremlin.ru"


@dataclass
class Logged:
    at: float  # by the server's clock
    path: str
    status: int
    headers: dict[str, str]


@dataclass
class Faults:
    retry_after: dict[str, tuple[int, float]] = field(default_factory=dict)
    unavailable: dict[str, int] = field(default_factory=dict)
    reset: dict[str, int] = field(default_factory=dict)
    slow: dict[str, tuple[int, float]] = field(default_factory=dict)
    truncate: dict[str, int] = field(default_factory=dict)
    content_type: dict[str, str] = field(default_factory=dict)
    override: dict[str, bytes] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)  # answered 404 though the file exists
    gzip: bool = False
    etags: bool = False
    forbid_after: int | None = None
    forbid_status: int = 403  # or 418, as some blocks answer
    page_delay: float = 0.0  # real seconds before each event page (to kill a run mid-way)


def _take(counter: dict, path: str) -> bool:
    """Count one use of a per-path fault; True while it lasts."""
    left = counter.get(path)
    if not left:
        return False
    counter[path] = left - 1
    return True


class ReplaySite:
    """The server; ``with ReplaySite(...) as site: site.url`` serves on a free port."""

    def __init__(self, root: Path = SITE_DIR, clock: Callable[[], float] = time.monotonic):
        self.root = Path(root).resolve()
        self.clock = clock
        self.faults = Faults()
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else 40 ms delayed-ACK stalls per answer

            def do_GET(self) -> None:
                site.handle(self)

            def log_message(self, *args) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> ReplaySite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what the site holds ----------------------------------------------------------
    def file_for(self, path: str) -> Path | None:
        target = (self.root / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root) or not target.is_file():
            return None
        return target

    def event_pages(self) -> dict[str, bytes]:
        """id -> bytes of every event page the replay serves."""
        folder = self.root / "events" / "president" / "news"
        return {p.name: p.read_bytes() for p in folder.iterdir() if p.name.isdigit()}

    def paths(self, prefix: str = "") -> list[str]:
        return [e.path for e in self.log if e.path.startswith(prefix)]

    # -- answering ----------------------------------------------------------------------
    def handle(self, h: BaseHTTPRequestHandler) -> None:
        path = urlsplit(h.path).path
        f = self.faults
        with self.lock:
            n_before = len(self.log)
            if f.forbid_after is not None and n_before >= f.forbid_after:
                action = ("status", f.forbid_status, None)
            elif (wait := _take_pair(f.retry_after, path)) is not None:
                action = ("status", 429, wait)
            elif _take(f.unavailable, path):
                action = ("status", 503, None)
            elif _take(f.reset, path):
                action = ("reset", 0, None)
            elif _take(f.truncate, path):
                action = ("truncate", 200, None)
            else:
                action = ("serve", 200, None)
            slow_for = _take_pair(f.slow, path) or 0.0
        kind, status, extra = action
        if slow_for:
            time.sleep(slow_for)
        if kind == "serve" and f.page_delay and path.rsplit("/", 1)[-1].isdigit():
            time.sleep(f.page_delay)
        if kind == "reset":
            self._record(path, 0, h)
            sock = h.connection
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            h.close_connection = True
            return
        if kind == "status":
            body = f"<html><body>HTTP {status}</body></html>".encode()
            headers = {"Content-Type": "text/html; charset=utf-8"}
            if status == 429:
                headers["Retry-After"] = f"{extra:g}"
            self._send(h, path, status, headers, body)
            return
        data = f.override.get(path)
        if data is None:
            file = None if path in f.missing else self.file_for(path)
            if file is None:
                self._send(
                    h,
                    path,
                    404,
                    {"Content-Type": "text/html"},
                    b"<html><body>Not found</body></html>",
                )
                return
            data = file.read_bytes()
        headers = {"Content-Type": f.content_type.get(path) or _content_type(path)}
        if f.etags:
            etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
            headers["ETag"] = etag
            if h.headers.get("If-None-Match") == etag:
                self._send(h, path, 304, headers, b"")
                return
        if kind == "truncate":
            self._record(path, 200, h)
            h.send_response(200)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        if f.gzip and "gzip" in h.headers.get("Accept-Encoding", ""):
            data = gzip_module.compress(data)
            headers["Content-Encoding"] = "gzip"
        self._send(h, path, 200, headers, data)

    def _record(self, path: str, status: int, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.log.append(Logged(self.clock(), path, status, dict(h.headers.items())))

    def _send(self, h, path: str, status: int, headers: dict[str, str], body: bytes) -> None:
        self._record(path, status, h)
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if body:
            h.wfile.write(body)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up (a killed fetch, a timeout) is part of the tests."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def _take_pair(counter: dict[str, tuple[int, float]], path: str) -> float | None:
    """As ``_take`` for (count, seconds) faults: the seconds while it lasts, else None."""
    entry = counter.get(path)
    if not entry or entry[0] <= 0:
        return None
    counter[path] = (entry[0] - 1, entry[1])
    return entry[1]


def _content_type(path: str) -> str:
    if path.endswith("/feed") or "/feed/" in path:
        return "application/atom+xml; charset=utf-8"
    if path.endswith(".txt"):
        return "text/plain; charset=utf-8"
    return "text/html; charset=utf-8"


def main() -> None:
    ap = argparse.ArgumentParser(
        prog="python -m bench.replay_site", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--root", type=Path, default=SITE_DIR, help="the replay's en.kremlin.ru folder")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--etags", action="store_true")
    args = ap.parse_args()
    with ReplaySite(args.root) as site:
        site.faults.gzip, site.faults.etags = args.gzip, args.etags
        print(f"serving {site.root} at {site.url} (Ctrl+C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
