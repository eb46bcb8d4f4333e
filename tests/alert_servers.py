"""Loopback servers that alerts deliver to in the tests: a real SMTP server (aiosmtpd)
and a JSON webhook (http.server) whose answers, and whose moment of answering, a test
decides.

Both keep what they received, and let a test wait for it on a condition rather than a
sleep. Nothing here fakes Apprise: it talks to these over real sockets.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WAIT = 120.0  # seconds: only a bound for a test that would otherwise hang; never reached


def free_port() -> int:
    """A port nothing listens on now (aiosmtpd's Controller needs a concrete one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """aiosmtpd on 127.0.0.1, keeping every message it is given (parsed). With
    ``credentials`` (user, password) it offers AUTH (without TLS: loopback only), accepts
    only those, and keeps every (user, password) it was offered in ``logins``."""

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.credentials = credentials
        self.logins: list[tuple[str, str]] = []
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._changed = threading.Condition()
        self.controller = None
        self.port = 0

    def __enter__(self) -> SmtpSink:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        sink = self

        def authenticate(server, session, envelope, mechanism, data) -> AuthResult:
            if not isinstance(data, LoginPassword):
                return AuthResult(success=False, handled=False)
            offered = (data.login.decode(), data.password.decode())
            with sink._changed:
                sink.logins.append(offered)
            return AuthResult(success=offered == sink.credentials, handled=False)  # 535

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with sink._changed:
                    sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                    sink.messages.append(message)
                    sink._changed.notify_all()
                return "250 Message accepted for delivery"

        self.port = free_port()
        auth = {"authenticator": authenticate, "auth_require_tls": False} \
            if self.credentials else {}
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **auth)
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def url(self, userinfo: str = "") -> str:
        """An Apprise URL for this server, from and to as the tests expect; ``userinfo``
        as ``user:password`` for the AUTH it offers."""
        at = f"{userinfo}@" if userinfo else ""
        return (f"mailto://{at}127.0.0.1:{self.port}?from=alerts@example.org"
                "&to=desk@example.org&mode=insecure")

    def wait_for(self, count: int, timeout: float = WAIT) -> list[EmailMessage]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.messages) >= count, timeout), \
                f"{len(self.messages)} messages arrived, {count} expected"
            return list(self.messages)


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    payload: dict


@dataclass
class Webhook:
    """A JSON webhook on 127.0.0.1. ``statuses``: the answers to the next POSTs, in order
    (200 once they run out). With ``gated``, each POST, once its body is read, sets
    ``received`` and waits for ``gate`` before it answers."""

    statuses: deque[int] = field(default_factory=deque)
    gated: bool = False
    posts: list[Post] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        hook = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with hook._lock:
                    hook.posts.append(Post(self.path, dict(self.headers.items()),
                                           json.loads(body)))
                    status = hook.statuses.popleft() if hook.statuses else 200
                hook.received.set()
                if hook.gated:
                    hook.gate.wait(WAIT)
                answer = json.dumps({"status": status}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client was killed while it waited: part of the test
                finally:
                    hook.answered.set()

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Webhook:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def messages(self) -> list[dict]:
        with self._lock:
            return [p.payload for p in self.posts]
