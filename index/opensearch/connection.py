"""Where the cluster is and how to talk to it, from options or the environment.

One place builds the client for both sides (the writer and the searcher) so retries,
timeouts and TLS are the same everywhere. Credentials are read from the environment
(or options), kept out of every ``repr`` and message: an error names the hosts only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from opensearchpy import OpenSearch

ENV_URL = "TRANSCRIPTS_OPENSEARCH_URL"
ENV_USER = "TRANSCRIPTS_OPENSEARCH_USER"
ENV_PASSWORD = "TRANSCRIPTS_OPENSEARCH_PASSWORD"
ENV_CA_FILE = "TRANSCRIPTS_OPENSEARCH_CA_FILE"
ENV_VERIFY = "TRANSCRIPTS_OPENSEARCH_VERIFY"  # "0"/"false": no certificate check
ENV_ALIAS = "TRANSCRIPTS_OPENSEARCH_INDEX"
DEFAULT_URL = "http://127.0.0.1:9200"
DEFAULT_ALIAS = "transcripts"
TIMEOUT = 30.0  # seconds per request; bulk and reindex requests get more
RETRIES = 3  # per request, on connection errors, timeouts, 429, 502, 503 and 504
RETRY_ON_STATUS = (429, 502, 503, 504)


class _WithoutTraceback(logging.Filter):
    """The client logs each failed attempt (a node refused, timed out) at WARNING with
    the traceback of urllib3's exception: a page per attempt, four per request, wherever
    logging is set up (``transcripts serve``'s console). Its one line says what failed
    (method, URL without credentials, status); the caller reports the end in one line
    (``ClusterUnavailable``), so the traceback is dropped and the line kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


logging.getLogger("opensearch").addFilter(_WithoutTraceback())


class ClusterUnavailable(RuntimeError):
    """The cluster cannot be reached or cannot answer; the message is one line for a user."""


@dataclass(frozen=True)
class ClusterSettings:
    hosts: tuple[str, ...] = (DEFAULT_URL,)
    alias: str = DEFAULT_ALIAS  # the name searches use; physical indices sit behind it
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    verify: bool = True  # TLS certificates are checked unless said otherwise

    @classmethod
    def from_env(
        cls,
        url: str | None = None,
        alias: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ClusterSettings:
        """Options win over the environment; a URL may list several hosts, comma-separated,
        and may carry user:password (taken out of the hosts and kept apart)."""
        env = os.environ if env is None else env
        raw = url or env.get(ENV_URL) or DEFAULT_URL
        user, password = env.get(ENV_USER) or None, env.get(ENV_PASSWORD) or None
        hosts = []
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            if "://" not in part:
                part = "http://" + part
            u = urlsplit(part)
            if u.username:
                user, password = u.username, u.password
                netloc = (u.hostname or "") + (f":{u.port}" if u.port else "")
                part = urlunsplit((u.scheme, netloc, u.path, "", ""))
            hosts.append(part.rstrip("/"))
        verify = env.get(ENV_VERIFY, "1").strip().lower() not in {"0", "false", "no", "off"}
        return cls(
            hosts=tuple(hosts) or (DEFAULT_URL,),
            alias=alias or env.get(ENV_ALIAS) or DEFAULT_ALIAS,
            user=user,
            password=password,
            ca_file=env.get(ENV_CA_FILE) or None,
            verify=verify,
        )

    def describe(self) -> str:
        """The hosts, for messages: never the credentials."""
        return ", ".join(self.hosts)


def client(settings: ClusterSettings, timeout: float = TIMEOUT) -> OpenSearch:
    """An ``opensearchpy.OpenSearch`` over every host, retrying connection errors,
    timeouts and overload answers (429/502/503/504) with the client's own backoff."""
    from opensearchpy import OpenSearch

    options: dict[str, Any] = {
        "hosts": list(settings.hosts),
        "timeout": timeout,
        "max_retries": RETRIES,
        "retry_on_timeout": True,
        "retry_on_status": RETRY_ON_STATUS,
        "http_compress": True,
    }
    if settings.user:
        options["http_auth"] = (settings.user, settings.password or "")
    if any(h.startswith("https://") for h in settings.hosts):
        options["use_ssl"] = True
        options["verify_certs"] = settings.verify
        options["ssl_show_warn"] = settings.verify
        if settings.ca_file:
            options["ca_certs"] = settings.ca_file
    return OpenSearch(**options)


def unavailable(settings: ClusterSettings, exc: Exception) -> ClusterUnavailable:
    """A one-line reason for an error from the client (no URL with credentials in it)."""
    from opensearchpy import exceptions as ox

    hosts = settings.describe()
    if isinstance(exc, ox.ConnectionTimeout):
        why = f"OpenSearch at {hosts} did not answer in time"
    elif isinstance(exc, ox.ConnectionError):
        why = f"OpenSearch at {hosts} cannot be reached (is the cluster running?)"
    elif isinstance(exc, ox.AuthenticationException | ox.AuthorizationException):
        why = f"OpenSearch at {hosts} refused the credentials (HTTP {exc.status_code})"
    elif isinstance(exc, ox.TransportError):
        reason = _reason(exc)
        why = f"OpenSearch at {hosts} answered HTTP {exc.status_code}" + (
            f": {reason}" if reason else ""
        )
    else:
        why = f"OpenSearch at {hosts} failed: {type(exc).__name__}"
    return ClusterUnavailable(why)


def _reason(exc: Exception) -> str:
    info = getattr(exc, "info", None)
    if isinstance(info, dict):
        err = info.get("error")
        if isinstance(err, dict):
            return str(err.get("reason") or err.get("type") or "")[:200]
        if isinstance(err, str):
            return err[:200]
    return ""
