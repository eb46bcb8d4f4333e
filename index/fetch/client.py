"""One HTTP connection to the site, and every way a request can fail as one line.

``requests`` with a single pooled connection (no parallel requests, ever), the
project's User-Agent, separate connect and read timeouts, no automatic retries (the
run decides, so each retry goes through the throttle and the request budget), and the
proxy settings of the environment (``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``NO_PROXY``).
A body is read whole and checked: shorter than its Content-Length, cut inside its
gzip stream or over the size limit is a ``NetworkError``, never a page.
"""

from __future__ import annotations

import email.utils
import errno
import importlib.metadata
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field

import requests
import urllib3
from requests.adapters import HTTPAdapter

from transcripts.index.fetch.clock import Clock

MAX_BODY_BYTES = 10 * 2**20  # the longest real transcript page is ~220 KB
# Used until pyproject.toml names the project's home page under [project.urls] Homepage.
FALLBACK_HOME = "https://github.com/transcripts/transcripts"


def default_user_agent() -> str:
    """``transcripts/<version> (+<home page>)``, from the installed package's metadata."""
    try:
        meta = importlib.metadata.metadata("transcripts")
        version = meta["Version"]
        urls = dict(
            (u.split(",", 1)[0].strip().lower(), u.split(",", 1)[1].strip())
            for u in meta.get_all("Project-URL") or []
            if "," in u
        )
        home = urls.get("homepage") or FALLBACK_HOME
    except importlib.metadata.PackageNotFoundError:
        version, home = "dev", FALLBACK_HOME
    return f"transcripts/{version} (+{home}; full-text search of speech transcripts)"


class NetworkError(Exception):
    """A request that got no usable answer; ``kind`` says which way, the message why."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        # dns | tls | proxy | refused | connect-timeout | read-timeout | reset | truncated
        # | too-large | other
        self.kind = kind


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes
    latency: float  # seconds from sending to the last byte

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class HttpClient:
    clock: Clock
    base_url: str  # the one site this client talks to (its proxy is looked up once)
    user_agent: str = field(default_factory=default_user_agent)
    connect_timeout: float = 10.0
    read_timeout: float = 45.0
    requests_made: int = 0
    session: requests.Session = field(init=False)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        # HTTP_PROXY / HTTPS_PROXY / NO_PROXY, looked up once for the site rather than on
        # every request (which costs more than the request itself over loopback).
        self.session.proxies = requests.utils.get_environ_proxies(self.base_url)
        self.session.trust_env = False
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=1, max_retries=0, pool_block=True)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.max_redirects = 5
        self.session.headers.update(
            {
                "User-Agent": self.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/atom+xml;q=0.9,*/*;q=0.5",
                "Accept-Encoding": "gzip",
                "Accept-Language": "en",
            }
        )

    def close(self) -> None:
        self.session.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Response:
        """GET ``url`` once; a Response for any HTTP status, NetworkError for no answer."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self.requests_made += 1
        started = self.clock.monotonic()
        try:
            with self.session.get(
                url,
                headers=headers,
                timeout=(self.connect_timeout, self.read_timeout),
                allow_redirects=True,
                stream=True,
            ) as r:
                self.requests_made += len(r.history)  # each redirect hop was a request
                if urllib3.util.parse_url(r.url).host != urllib3.util.parse_url(url).host:
                    raise NetworkError(
                        "other", f"redirected off the site, to {r.url.split('?')[0]}"
                    )
                body = _read_body(r)
                return Response(
                    url=r.url,
                    status=r.status_code,
                    headers={k.lower(): v for k, v in r.headers.items()},
                    body=body,
                    latency=self.clock.monotonic() - started,
                )
        except NetworkError:
            raise
        except requests.exceptions.RequestException as exc:
            raise _explain(exc, url, self) from None


def _read_body(r: requests.Response) -> bytes:
    chunks, size = [], 0
    for chunk in r.iter_content(65536):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise NetworkError("too-large", f"answer larger than {MAX_BODY_BYTES // 2**20} MB")
        chunks.append(chunk)
    body = b"".join(chunks)
    expected = r.headers.get("Content-Length")
    encoded = r.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
    if expected and expected.isdigit() and not encoded and len(body) < int(expected):
        raise NetworkError(
            "truncated", f"body cut short ({len(body)} of {expected} bytes)"
        )  # urllib3 normally raises first; this is the belt to its braces
    return body


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        nxt = exc.__cause__ or exc.__context__
        if nxt is None and exc.args and isinstance(exc.args[0], BaseException):
            nxt = exc.args[0]
        if nxt is None:
            reason = getattr(exc, "reason", None)
            nxt = reason if isinstance(reason, BaseException) else None
        exc = nxt


def _explain(
    exc: requests.exceptions.RequestException, url: str, client: HttpClient
) -> NetworkError:
    """The one line a user needs for a request that got no answer."""
    host = urllib3.util.parse_url(url).host or url
    chain = list(_causes(exc))
    if isinstance(exc, requests.exceptions.ProxyError):
        return NetworkError(
            "proxy",
            f"the proxy refused or failed the request to {host} (check HTTP_PROXY / HTTPS_PROXY)",
        )
    if any(
        isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError" for e in chain
    ):
        return NetworkError(
            "dns", f"cannot resolve {host}: no DNS answer (offline, or a wrong --base-url?)"
        )
    if isinstance(exc, requests.exceptions.SSLError) or any(
        isinstance(e, ssl.SSLError) for e in chain
    ):
        return NetworkError(
            "tls",
            f"TLS handshake with {host} failed (certificate or "
            "protocol problem; try the http:// base URL)",
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return NetworkError(
            "connect-timeout", f"no connection to {host} within {client.connect_timeout:g} s"
        )
    if isinstance(exc, requests.exceptions.ReadTimeout) or any(
        type(e).__name__ == "ReadTimeoutError" for e in chain
    ):
        return NetworkError("read-timeout", f"{host} sent nothing for {client.read_timeout:g} s")
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return NetworkError("refused", f"{host} refused the connection (nothing listening)")
    if any(
        isinstance(e, ConnectionResetError | BrokenPipeError)
        or (isinstance(e, OSError) and e.errno in (errno.ECONNRESET, errno.EPIPE))
        or type(e).__name__ in ("RemoteDisconnected", "IncompleteRead", "ProtocolError")
        for e in chain
    ):
        if any(type(e).__name__ == "IncompleteRead" for e in chain):
            return NetworkError(
                "truncated", f"{host} closed the connection before the end of the body (truncated)"
            )
        return NetworkError("reset", f"{host} closed or reset the connection")
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return NetworkError("truncated", f"{host} sent a damaged or cut gzip body")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return NetworkError("truncated", f"{host} sent a body that ended early")
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return NetworkError("other", f"{host} redirected in a loop")
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return NetworkError("other", f"not a usable URL: {url}")
    first = chain[-1] if chain else exc
    return NetworkError(
        "other",
        f"request to {host} failed: {type(first).__name__}: "
        f"{str(first).splitlines()[0] if str(first) else ''}".rstrip(": "),
    )


def retry_after_seconds(value: str | None, now_wall: float) -> float | None:
    """Retry-After as seconds from now: delta seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now_wall)
