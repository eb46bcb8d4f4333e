"""Start and stop a local OpenSearch cluster of N nodes on loopback: for development, the
tests and the benchmark, without a container runtime or a system-wide install.

The nodes run from OpenSearch's integ-test zip, a Maven artifact (``.ci/run`` fetches it
into ``~/.m2``): core modules only, no security plugin, so HTTP is plain ``http`` with no
credentials. The zip is extracted once under ``base_dir/dist`` and shared read-only; each
node gets its own folder ``base_dir/<cluster name>/node<i>`` holding its ``config``
(a copy of the distribution's, plus its ``opensearch.yml``), ``data``, ``logs``, ``tmp``
and ``console.log`` (the process's stdout and stderr).

OpenSearch refuses to run as root, and this machine and CI run as root: then the nodes run
as an unprivileged system user, ``transcripts-opensearch`` (created once with ``useradd``),
who owns the node folders. That user must be able to reach ``base_dir``: every folder above
it must be traversable by others (mode ``o+x``). The default, the project's git-ignored
``instance/opensearch``, is; pytest's ``tmp_path`` (mode 0700, root's) is not, so tests pass
a folder under ``instance/`` instead. ``start`` checks this and says which folder is shut.

``start`` records the nodes' process ids in ``base_dir/cluster.json`` so that a later
``python -m bench.opensearch_cluster stop`` (another process) can stop them::

    python -m bench.opensearch_cluster start --nodes 3     # prints the URL to use
    python -m bench.opensearch_cluster status
    python -m bench.opensearch_cluster stop
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = "2.19.6"  # pinned with .ci/run's OPENSEARCH_VERSION: move both together
ARTIFACT = f"org.opensearch.distribution.integ-test-zip:opensearch:{VERSION}:zip"
MVN_GET = f"mvn -q dependency:get -Dartifact={ARTIFACT} -Dtransitive=false"
ENV_ZIP = "TRANSCRIPTS_OPENSEARCH_ZIP"
PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_BASE = PROJECT_DIR / "instance" / "opensearch"  # git-ignored, reachable by USER
USER = "transcripts-opensearch"
RECORD = "cluster.json"
STOP_GRACE = 10.0  # seconds a node gets to shut down on SIGTERM before SIGKILL
TAIL_LINES = 25


class ClusterError(RuntimeError):
    """The cluster could not be started, reached or stopped.

    ``summary`` is one line, for the command line; ``str()`` adds the tail of the node logs
    so that a failing test's report shows why a node died without opening files.
    """

    def __init__(self, summary: str, tail: str = "") -> None:
        super().__init__(summary + (f"\n{tail}" if tail else ""))
        self.summary = summary


@dataclass
class Node:
    """One node: its folder, its ports (fixed for its life, so a restart rejoins at the same
    address) and its process (``process`` only in the process that started it; ``pid`` is
    what the record keeps for another process to stop it)."""

    name: str
    dir: Path
    http_port: int
    transport_port: int
    process: subprocess.Popen | None = field(default=None, repr=False, compare=False)
    pid: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def config_dir(self) -> Path:
        return self.dir / "config"

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    @property
    def log_dir(self) -> Path:
        return self.dir / "logs"

    @property
    def tmp_dir(self) -> Path:
        return self.dir / "tmp"

    @property
    def console_log(self) -> Path:
        return self.dir / "console.log"

    def alive(self) -> bool:
        """Whether the node's process still runs. A pid read from the record is trusted only
        if that process still names this node's config folder (a pid may have been reused)."""
        if self.process is not None:
            return self.process.poll() is None
        return self.pid is not None and _is_node_process(self.pid, self.config_dir)


@dataclass
class Cluster:
    """A running (or stopped) local cluster; also a context manager that stops it on exit.

    ``dist``, ``java_home``, ``heap_mb`` and ``user`` are kept so that ``restart_node`` can
    start a node exactly as ``start`` did.
    """

    name: str
    base_dir: Path
    nodes: list[Node]
    dist: Path
    java_home: Path
    heap_mb: int = 384
    user: str | None = None  # the unprivileged user the nodes run as; None: as ourselves

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    @property
    def url(self) -> str:
        """All nodes' URLs, comma-separated: the form TRANSCRIPTS_OPENSEARCH_URL takes."""
        return ",".join(self.urls)

    @property
    def dir(self) -> Path:
        return self.base_dir / self.name

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def health(self, timeout: float = 5.0) -> dict:
        """``/_cluster/health`` from the first node that answers (a killed node does not)."""
        errors = []
        for node in self.nodes:
            if not node.alive():
                continue
            try:
                return _health(node.url, "", timeout)
            except (OSError, ValueError) as e:
                errors.append(f"{node.name}: {e}")
        raise ClusterError("no node answers" + (f" ({'; '.join(errors)})" if errors else ""))

    def kill_node(self, i: int, sig: int = signal.SIGKILL, wait: bool = True) -> None:
        """Send ``sig`` to node ``i``'s process group: SIGKILL simulates a crash. With ``wait``
        return only once the process is gone, so the caller observes the cluster without it;
        pass ``wait=False`` for a signal that does not end it (SIGSTOP: a hung node)."""
        node = self.nodes[i]
        _signal_group(node, sig)
        if wait and not _wait_gone([node], STOP_GRACE):
            raise ClusterError(f"{node.name} (pid {node.pid}) still runs after signal {sig}")

    def restart_node(self, i: int, timeout: float = 120, status: str = "green") -> None:
        """Start node ``i`` again with its data folder and ports (stopping it first if it
        runs), then wait until it answers with every running node in the cluster and the
        health ``status`` (green by default: its shard copies recovered)."""
        node = self.nodes[i]
        if node.alive():
            self._stop_nodes([node])
        deadline = time.monotonic() + timeout
        _free_or_raise([node.http_port, node.transport_port])
        self._launch(node)
        self._write_record()
        expected = sum(n.alive() for n in self.nodes)
        self._wait(
            [node], expected, deadline, timeout, status, f"{node.name} to rejoin", watch=[node]
        )

    def stop(self) -> None:
        """SIGTERM every node's process group, SIGKILL after a grace period; forget the
        record. Safe to call twice, and on a cluster loaded from the record."""
        self._stop_nodes(self.nodes)
        record = _read_record(self.base_dir)
        if record is not None and record.get("name") == self.name:
            (self.base_dir / RECORD).unlink(missing_ok=True)

    def _stop_nodes(self, nodes: list[Node]) -> None:
        running = [n for n in nodes if n.alive()]
        for node in running:
            _signal_group(node, signal.SIGTERM)
            _signal_group(node, signal.SIGCONT)  # a SIGSTOPped node must run to handle TERM
        if not _wait_gone(running, STOP_GRACE):
            for node in running:
                _signal_group(node, signal.SIGKILL)
            if not _wait_gone(running, STOP_GRACE):
                left = ", ".join(f"{n.name} (pid {n.pid})" for n in running if n.alive())
                raise ClusterError(f"could not stop {left}")

    def _launch(self, node: Node) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("JAVA_TOOL_OPTIONS", "JAVA_OPTS")}
        env.update(
            OPENSEARCH_JAVA_HOME=str(self.java_home),
            OPENSEARCH_PATH_CONF=str(node.config_dir),
            OPENSEARCH_JAVA_OPTS=f"-Xms{self.heap_mb}m -Xmx{self.heap_mb}m",
            OPENSEARCH_TMPDIR=str(node.tmp_dir),
            HOME=str(node.dir),  # root's home is not the user's to read
        )
        ids: dict = {}
        if self.user is not None:
            pw = pwd.getpwnam(self.user)
            ids = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        with open(node.console_log, "ab") as out:
            out.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {node.name}\n".encode())
            out.flush()
            node.process = subprocess.Popen(
                [str(self.dist / "bin" / "opensearch")],
                cwd=node.dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: one signal reaches all of it
                **ids,
            )
        node.pid = node.process.pid

    def _wait(
        self,
        ask: list[Node],
        expected: int,
        deadline: float,
        timeout: float,
        status: str,
        what: str,
        watch: list[Node],
    ) -> None:
        """Poll each node of ``ask`` in turn until it answers health ``status`` with
        ``expected`` nodes: each, since a node joins the cluster before its HTTP port opens.
        Fail early if a node of ``watch`` exits."""
        last = "no answer yet"
        for node in ask:
            while True:
                for w in watch:
                    if not w.alive():
                        code = w.process.returncode if w.process is not None else "?"
                        raise ClusterError(
                            f"{w.name} exited (status {code}) while waiting for {what}; "
                            f"log: {w.console_log}",
                            self._tails(),
                        )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ClusterError(
                        f"timed out after {timeout:g} s waiting for {what} "
                        f"({status} with {expected} node(s); last answer: {last}); "
                        f"logs: {self.dir}/node*/console.log",
                        self._tails(),
                    )
                wait = max(1, min(5, int(left)))
                query = f"wait_for_status={status}&wait_for_nodes={expected}&timeout={wait}s"
                try:
                    h = _health(node.url, query, wait + 5)
                except (OSError, ValueError) as e:
                    last = f"{node.name}: {getattr(e, 'reason', e)}"
                    time.sleep(0.25)
                    continue
                last = f"{node.name}: {h.get('status')}, {h.get('number_of_nodes')} nodes"
                if (
                    not h.get("timed_out")
                    and h.get("number_of_nodes") == expected
                    and _at_least(h.get("status"), status)
                ):
                    break

    def _tails(self) -> str:
        parts = []
        for node in self.nodes:
            try:
                lines = node.console_log.read_text(errors="replace").splitlines()[-TAIL_LINES:]
            except OSError:
                continue
            parts.append(f"--- {node.console_log} (last {len(lines)} lines)\n" + "\n".join(lines))
        return "\n".join(parts)

    def _write_record(self) -> None:
        record = {
            "name": self.name,
            "version": VERSION,
            "dist": str(self.dist),
            "java_home": str(self.java_home),
            "heap_mb": self.heap_mb,
            "user": self.user,
            "nodes": [
                {
                    "name": n.name,
                    "dir": str(n.dir),
                    "http_port": n.http_port,
                    "transport_port": n.transport_port,
                    "pid": n.pid,
                }
                for n in self.nodes
            ],
        }
        tmp = self.base_dir / f".{RECORD}.tmp"
        tmp.write_text(json.dumps(record, indent=2) + "\n")
        tmp.replace(self.base_dir / RECORD)


def zip_path() -> Path | None:
    """The distribution zip: ``$TRANSCRIPTS_OPENSEARCH_ZIP``, else where Maven caches it;
    None if absent (callers skip or say how to fetch it: ``MVN_GET``)."""
    env = os.environ.get(ENV_ZIP)
    if env:
        path = Path(env).expanduser()
    else:
        path = (
            Path.home()
            / ".m2/repository/org/opensearch/distribution/integ-test-zip/opensearch"
            / VERSION
            / f"opensearch-{VERSION}.zip"
        )
    return path if path.is_file() else None


def java_home() -> Path | None:
    """The JDK to run the nodes with: OPENSEARCH_JAVA_HOME or JAVA_HOME if they hold a
    ``bin/java``, else the home of the ``java`` on PATH (symlinks resolved); None if none."""
    for var in ("OPENSEARCH_JAVA_HOME", "JAVA_HOME"):
        home = os.environ.get(var)
        if home and (Path(home) / "bin" / "java").is_file():
            return Path(home)
    java = shutil.which("java")
    return Path(os.path.realpath(java)).parent.parent if java else None


def start(
    nodes: int = 1,
    base_dir: Path | None = None,
    heap_mb: int = 384,
    http_port: int | None = None,
    timeout: float = 120,
    name: str = "transcripts-dev",
    keep_data: bool = False,
) -> Cluster:
    """Start ``nodes`` nodes on 127.0.0.1 and return once the cluster is green with all of
    them (``ClusterError`` otherwise, the nodes stopped again).

    Node ``i`` listens for HTTP on ``http_port + i`` if given, else on a free port.
    The data starts empty unless ``keep_data`` (then the same number of nodes as before
    is required: a cluster's state remembers its cluster-manager nodes). Refuses to start
    a second cluster from a ``base_dir`` whose recorded cluster still runs.
    """
    if nodes < 1:
        raise ClusterError("nodes must be at least 1")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise ClusterError(f"cluster name {name!r}: letters, digits, '_', '.', '-' only")
    zip_file = zip_path()
    if zip_file is None:
        raise ClusterError(
            f"OpenSearch {VERSION} zip not found (set {ENV_ZIP} or fetch it: {MVN_GET})"
        )
    jdk = java_home()
    if jdk is None:
        raise ClusterError(
            "java not found: install a JDK (17 or 21) or set OPENSEARCH_JAVA_HOME or JAVA_HOME"
        )
    base = Path(base_dir or DEFAULT_BASE).resolve()
    running = load(base)
    if running is not None and any(n.alive() for n in running.nodes):
        raise ClusterError(
            f"a cluster already runs from {base} ({running.url}); stop it first: "
            f"python -m bench.opensearch_cluster stop --dir {base}"
        )
    _mkdir(base)
    user = None
    uid = gid = None
    if os.geteuid() == 0:
        pw = _ensure_user()
        user, uid, gid = pw.pw_name, pw.pw_uid, pw.pw_gid
        _check_reachable(base, uid, gid)
    dist = _extract(zip_file, base / "dist")

    if http_port is not None:
        https = [http_port + i for i in range(nodes)]
        _free_or_raise(https)
        transports = _free_ports(nodes, avoid=set(https))
    else:
        ports = _free_ports(2 * nodes)
        https, transports = ports[:nodes], ports[nodes:]
    cluster_dir = base / name
    if not keep_data:
        shutil.rmtree(cluster_dir, ignore_errors=True)
    elif cluster_dir.exists():
        before = sorted(p.name for p in cluster_dir.glob("node*") if (p / "data").exists())
        if before and len(before) != nodes:
            raise ClusterError(
                f"{cluster_dir} holds data of {len(before)} nodes, not {nodes}: "
                "start as many, or without keeping the data"
            )
    _mkdir(cluster_dir)

    members = [
        Node(f"node{i}", cluster_dir / f"node{i}", https[i], transports[i]) for i in range(nodes)
    ]
    for node in members:
        _write_node_config(node, members, name, dist)
        if uid is not None:
            _chown_tree(node.dir, uid, gid)

    cluster = Cluster(name, base, members, dist, jdk, heap_mb, user)
    deadline = time.monotonic() + timeout
    try:
        for node in members:
            cluster._launch(node)
        cluster._write_record()
        cluster._wait(members, nodes, deadline, timeout, "green", "the cluster", members)
    except BaseException:
        with contextlib.suppress(ClusterError):  # the first error is the one to report
            cluster.stop()
        raise
    return cluster


def load(base_dir: Path | None = None) -> Cluster | None:
    """The cluster recorded in ``base_dir`` (by ``start``, maybe in another process), to
    look at or stop; None if none is recorded. Its nodes may have stopped since."""
    base = Path(base_dir or DEFAULT_BASE).resolve()
    record = _read_record(base)
    if record is None:
        return None
    members = [
        Node(n["name"], Path(n["dir"]), n["http_port"], n["transport_port"], pid=n.get("pid"))
        for n in record["nodes"]
    ]
    return Cluster(
        record["name"],
        base,
        members,
        Path(record["dist"]),
        Path(record["java_home"]),
        record.get("heap_mb", 384),
        record.get("user"),
    )


def stop_all(base_dir: Path | None = None) -> int:
    """Stop the nodes recorded in ``base_dir`` (what the command's ``stop`` does after its
    ``start`` has exited); the number of nodes that were still running."""
    cluster = load(base_dir)
    if cluster is None:
        return 0
    running = sum(n.alive() for n in cluster.nodes)
    cluster.stop()
    return running


def _health(url: str, query: str, timeout: float) -> dict:
    """GET /_cluster/health; a 408 (the wait timed out) still carries the health body."""
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health?{query}", timeout=timeout) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        if e.code == 408:
            return json.loads(e.read())
        raise


def _at_least(actual: str | None, wanted: str) -> bool:
    order = {"red": 0, "yellow": 1, "green": 2}
    return actual in order and order[actual] >= order.get(wanted, 2)


def _ensure_user() -> pwd.struct_passwd:
    """The unprivileged user the nodes run as when we are root, created if missing."""
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    cmd = [useradd, "--system", "--user-group", "--no-create-home"]
    result = subprocess.run(
        [*cmd, "--shell", "/usr/sbin/nologin", USER], capture_output=True, text=True
    )
    try:
        return pwd.getpwnam(USER)  # also when another process created it meanwhile
    except KeyError:
        raise ClusterError(
            f"could not create user {USER} to run OpenSearch (it refuses to run as root): "
            f"{result.stderr.strip() or result.returncode}"
        ) from None


def _check_reachable(path: Path, uid: int, gid: int) -> None:
    """Fail clearly, before Java does obscurely, if ``uid`` cannot traverse to ``path``."""
    for p in [path, *path.parents]:
        st = p.stat()
        if st.st_uid == uid:
            bit = 0o100
        elif st.st_gid == gid:
            bit = 0o010
        else:
            bit = 0o001
        if not st.st_mode & bit:
            raise ClusterError(
                f"{p} (mode {st.st_mode & 0o777:o}) cannot be traversed by user {USER}, who "
                f"runs the nodes: use a base_dir under {PROJECT_DIR / 'instance'}"
            )


def _mkdir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)  # whatever the umask: the nodes' user reads and traverses it


def _extract(zip_file: Path, dist_root: Path) -> Path:
    """Extract the zip once into ``dist_root`` (reused afterwards): into a temporary folder
    renamed into place, so a crash or a concurrent start never leaves half a distribution.
    Modes are set explicitly (zipfile drops them): files 644 or 755, folders 755."""
    with zipfile.ZipFile(zip_file) as zf:
        top = zf.namelist()[0].split("/")[0]
        target = dist_root / top
        if (target / "bin" / "opensearch").is_file():
            return target
        _mkdir(dist_root)
        tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=dist_root))
        try:
            for info in zf.infolist():
                path = zf.extract(info, tmp)
                if not info.is_dir():
                    executable = (info.external_attr >> 16) & 0o111
                    os.chmod(path, 0o755 if executable else 0o644)
            for root, dirs, _files in os.walk(tmp / top):
                for d in dirs:
                    os.chmod(os.path.join(root, d), 0o755)
            os.chmod(tmp / top, 0o755)
            try:
                os.rename(tmp / top, target)
            except OSError:
                if not (target / "bin" / "opensearch").is_file():
                    raise  # not a concurrent start that got there first
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _write_node_config(node: Node, members: list[Node], cluster_name: str, dist: Path) -> None:
    """The node's own config folder: the distribution's, with the JVM's relative paths
    (resolved against the shared, read-only distribution) pointed into the node's folder."""
    for d in (node.dir, node.data_dir, node.log_dir, node.tmp_dir):
        _mkdir(d)
    shutil.copytree(dist / "config", node.config_dir, dirs_exist_ok=True)
    jvm = (dist / "config" / "jvm.options").read_text()
    jvm = (
        jvm.replace("-XX:HeapDumpPath=data", f"-XX:HeapDumpPath={node.data_dir}")
        .replace("-XX:ErrorFile=logs/", f"-XX:ErrorFile={node.log_dir}/")
        .replace("file=logs/gc.log", f"file={node.log_dir}/gc.log")
        .replace("filecount=32,filesize=64m", "filecount=4,filesize=16m")
    )
    (node.config_dir / "jvm.options").write_text(jvm)
    settings: dict[str, object] = {
        "cluster.name": cluster_name,
        "node.name": node.name,
        "path.data": str(node.data_dir),
        "path.logs": str(node.log_dir),
        "network.host": "127.0.0.1",
        "http.port": node.http_port,
        "transport.port": node.transport_port,
        # A nearly full development disk must not make the indices read-only.
        "cluster.routing.allocation.disk.threshold_enabled": False,
    }
    if len(members) == 1:
        settings["discovery.type"] = "single-node"
    else:
        settings["discovery.seed_hosts"] = [f"127.0.0.1:{m.transport_port}" for m in members]
        settings["cluster.initial_cluster_manager_nodes"] = [m.name for m in members]
    # JSON values are valid YAML: no YAML library needed.
    text = "".join(f"{k}: {json.dumps(v)}\n" for k, v in settings.items())
    (node.config_dir / "opensearch.yml").write_text(
        f"# Written by bench/opensearch_cluster.py for {node.name}; rewritten on each start.\n"
        + text
    )


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)


def _free_ports(count: int, avoid: Collection[int] = ()) -> list[int]:
    """``count`` distinct ports free now (held together while chosen, so none repeats)."""
    socks: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            if port not in avoid:
                ports.append(port)
        return ports
    finally:
        for s in socks:
            s.close()


def _free_or_raise(ports: list[int]) -> None:
    for port in ports:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the node binds
            try:
                s.bind(("127.0.0.1", port))
            except OSError as e:
                raise ClusterError(f"port {port} on 127.0.0.1 is in use ({e.strerror})") from None


def _is_node_process(pid: int, config_dir: Path) -> bool:
    """Whether ``pid`` runs and is the node whose config folder is ``config_dir``: the java
    process names it in its command line, the launcher script in its environment."""
    proc = Path(f"/proc/{pid}")
    if not Path("/proc/self").exists():  # no procfs: trust the pid
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    try:
        fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False
    if fields[0] == "Z":
        # Its main thread has ended: an exited process waiting to be reaped (not by us: by
        # init, here up to seconds later) unless other threads still shut down. A zombie's
        # pid is not reused, so no identity check is needed.
        return int(fields[17]) > 1
    marker = str(config_dir).encode()
    for part in ("cmdline", "environ"):
        try:
            if marker in (proc / part).read_bytes():
                return True
        except OSError:
            continue
    return False


def _signal_group(node: Node, sig: int) -> None:
    if node.pid is None or not node.alive():
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(node.pid, sig)  # start_new_session: the group's id is the launcher's pid


def _wait_gone(nodes: list[Node], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(n.alive() for n in nodes):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _read_record(base: Path) -> dict | None:
    try:
        return json.loads((base / RECORD).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise ClusterError(f"cannot read {base / RECORD}: {e}") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.opensearch_cluster",
        description="Start, stop or look at a local OpenSearch cluster on 127.0.0.1.",
    )
    sub = ap.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start nodes and leave them running")
    p_start.add_argument("--nodes", type=int, default=1)
    p_start.add_argument("--heap-mb", type=int, default=384, help="heap per node (MB)")
    p_start.add_argument("--port", type=int, help="HTTP port of node 0 (node i: port + i)")
    p_start.add_argument("--name", default="transcripts-dev", help="cluster name")
    p_start.add_argument("--timeout", type=float, default=120, help="seconds to wait")
    p_start.add_argument("--keep-data", action="store_true", help="keep the last run's data")
    for p in (p_start, sub.add_parser("stop"), sub.add_parser("status")):
        p.add_argument("--dir", type=Path, default=DEFAULT_BASE, help="base folder")
    args = ap.parse_args(argv)
    try:
        if args.command == "start":
            t0 = time.monotonic()
            c = start(
                args.nodes,
                args.dir,
                args.heap_mb,
                args.port,
                args.timeout,
                args.name,
                keep_data=args.keep_data,
            )
            print(
                f"OpenSearch {VERSION}: {len(c.nodes)} node(s) of cluster {c.name!r} green "
                f"in {time.monotonic() - t0:.1f} s"
            )
            print(f"export TRANSCRIPTS_OPENSEARCH_URL={c.url}")
            print(f"logs: {c.dir}/node*/console.log and {c.dir}/node*/logs/")
            print(f"stop: python -m bench.opensearch_cluster stop --dir {c.base_dir}")
            return 0
        if args.command == "stop":
            n = stop_all(args.dir)
            print(f"stopped {n} node(s)" if n else f"no running cluster recorded in {args.dir}")
            return 0
        c = load(args.dir)
        if c is None:
            print(f"no cluster recorded in {args.dir}")
            return 1
        alive = [n.alive() for n in c.nodes]
        for node, up in zip(c.nodes, alive, strict=True):
            state = "running" if up else "stopped"
            print(f"{node.name}: {state}, pid {node.pid}, {node.url}, {node.console_log}")
        if not any(alive):
            print(f"cluster {c.name!r}: not running")
            return 1
        try:
            h = c.health()
            health = f"{h['status']}, {h['number_of_nodes']} node(s) in the cluster"
        except ClusterError as e:
            health = e.summary
        print(f"cluster {c.name!r}: {sum(alive)} of {len(alive)} running; {health}")
        print(f"export TRANSCRIPTS_OPENSEARCH_URL={c.url}")
        return 0 if all(alive) else 1
    except ClusterError as e:
        print(f"error: {e.summary}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())


def settle(conn: Any, index: str, limit: float = 300) -> float:
    """Seconds until no merge runs on any copy of ``index`` (at most ``limit``): a build's
    merges go on after its last request, and a measurement taken meanwhile pays for them."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        merges = conn.indices.stats(index=index, metric="merge")["_all"]["total"]["merges"]
        if not merges["current"]:
            break
        time.sleep(0.2)
    return round(time.perf_counter() - started, 2)
