"""The `transcripts` command: a thin layer over ``index`` (write) and ``search`` (read)."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import html
import json
import logging
import os
import re
import signal
import socket
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from transcripts import __version__
from transcripts.index import language, location
from transcripts.index.fetch import FetchOptions, run_fetch
from transcripts.index.fetch.clock import Clock
from transcripts.index.fetch.run import (
    DEFAULT_BASE_URL,
    DEFAULT_CORPUS,
    FetchProgress,
    FetchReport,
)
from transcripts.index.fetch.state import STATE_FILE, FetchLocked, index_is_behind, mark_indexed
from transcripts.index.model import Transcript, clock
from transcripts.index.opensearch.connection import (
    ENV_ALIAS,
    ENV_URL,
    ClusterSettings,
    ClusterUnavailable,
)
from transcripts.index.opensearch.writer import ReindexLocked, cluster_has_index
from transcripts.index.opensearch.writer import reindex as cluster_reindex
from transcripts.index.readers import ReadError, read_file
from transcripts.index.speakers import learn_names, resolve_speakers
from transcripts.index.writer import NothingIndexed, ReindexReport, live_outdated, reindex
from transcripts.search import alerts, concordance, export, follow
from transcripts.search import backend as backends
from transcripts.search.backend import request_notes, search
from transcripts.search.engine import IndexMissing
from transcripts.search.follow import Followed
from transcripts.search.query import QueryError
from transcripts.search.results import SORTS, SearchRequest, SearchResult, ValueNote
from transcripts.search.speaker_stats import GROUPS

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_SEEDS = PROJECT_DIR / "seeds"

_Command = TypeVar("_Command", bound=Callable[..., Any])  # a click command being built

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

index_dir_option = click.option(
    "--index-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Index folder (default: ${location.ENV_VAR} or {location.DEFAULT_INDEX_DIR}).",
)


def backend_options(command: _Command) -> _Command:
    """Which engine: the embedded index (default) or an OpenSearch cluster. The URL may
    list several nodes; user, password and CA file come from the environment
    (TRANSCRIPTS_OPENSEARCH_USER, _PASSWORD, _CA_FILE), never from the command line."""
    for option in reversed([
        click.option("--backend", type=click.Choice(backends.BACKENDS), default=None,
                     envvar=backends.ENV_BACKEND, show_envvar=True,
                     help="Where the index lives (default: embedded)."),
        click.option("--opensearch-url", default=None, envvar=ENV_URL, show_envvar=True,
                     metavar="URL[,URL...]",
                     help="The cluster's nodes (default: http://127.0.0.1:9200)."),
        click.option("--opensearch-index", default=None, envvar=ENV_ALIAS, show_envvar=True,
                     metavar="NAME", help="The index alias on the cluster (default: transcripts)."),
    ]):
        command = option(command)
    return command


DEFAULT_SITE_URL = "http://127.0.0.1:8000"

alerts_db_option = click.option(
    "--alerts-db", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help=f"The alerts' database (default: ${alerts.ENV_DB} or {alerts.DB_NAME} beside the "
         "index folder).")
site_url_option = click.option(
    "--site-url", default=DEFAULT_SITE_URL, envvar="TRANSCRIPTS_SITE_URL", show_envvar=True,
    show_default=True, help="Where the site answers: every link in a digest starts with it.")
secrets_option = click.option(
    "--secrets", type=click.Path(dir_okay=False, path_type=Path), default=None,
    envvar=alerts.ENV_SECRETS, show_envvar=True,
    help=f"NAME=VALUE lines for the ${{NAME}}s in --notify URLs, readable by its owner only "
         f"(default: {alerts.SECRETS_NAME} beside the database; the environment too).")


def open_index(backend_name: str | None, index_dir: Path | None, opensearch_url: str | None,
               opensearch_index: str | None) -> backends.Index:
    """The index a command reads (``search.backend``)."""
    return backends.open_index(backend_name, index_dir, opensearch_url, opensearch_index)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="transcripts")
def main() -> None:
    """Full-text search over speech transcripts: who said what, when, about whom, where."""


@main.command("reindex")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of updating.")
@click.option(
    "--procs",
    type=click.IntRange(1, 8),
    default=None,
    help="Writer processes for a full build (default: number of cores, at most 4).",
)
@click.option("--shards", type=click.IntRange(1, 1024), default=None,
              help="OpenSearch: primary shards of a full build (default: by corpus size).")
@click.option("--replicas", type=click.IntRange(0, 16), default=None,
              help="OpenSearch: copies of each shard (default: 1 when the cluster has "
              "two data nodes or more, else 0).")
@index_dir_option
@backend_options
def reindex_cmd(
    paths: tuple[Path, ...], full: bool, procs: int | None, shards: int | None,
    replicas: int | None, index_dir: Path | None, backend: str | None,
    opensearch_url: str | None, opensearch_index: str | None,
) -> None:
    """Index transcript files and folders (default: the seeds/ folder).

    Only files added, changed or removed since the last run are touched, unless --full.
    """
    sources = list(paths) or [DEFAULT_SEEDS]
    if _chosen(backend) == "opensearch":
        settings = ClusterSettings.from_env(opensearch_url, opensearch_index)
        try:
            report = run_reindex(sources, None, full, 1, settings, shards, replicas)
        except (NothingIndexed, ReindexLocked, ClusterUnavailable) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            sys.exit(1)
        print_report(report, describe_cluster(settings))
        return
    root = location.index_root(index_dir)
    procs = procs or min(4, os.cpu_count() or 1)
    try:
        report = run_reindex(sources, root, full, procs)
    except (NothingIndexed, location.IndexLocked) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(1)
    except OSError as exc:
        err.print(f"[red]error:[/red] the index could not be written at {root}: {escape(str(exc))}")
        sys.exit(1)
    print_report(report, root)


def _chosen(name: str | None) -> str:
    try:
        return backends.chosen(name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--backend / TRANSCRIPTS_BACKEND") from None


def describe_cluster(settings: ClusterSettings) -> str:
    return f"OpenSearch index '{settings.alias}' at {settings.describe()}"


def run_reindex(sources: list[Path], root: Path | None, full: bool, procs: int,
                cluster: ClusterSettings | None = None, shards: int | None = None,
                replicas: int | None = None) -> ReindexReport:
    columns = (
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int) -> None:
            label = {"read": "reading", "index": "indexing", "commit": "writing"}[phase]
            if phase not in tasks:
                tasks[phase] = bar.add_task(label, total=max(total, 1))
            bar.update(tasks[phase], completed=done if phase != "commit" else 0)

        if cluster is not None:
            report = cluster_reindex(sources, cluster, full=full, progress=progress,
                                     shards=shards, replicas=replicas)
        else:
            assert root is not None  # the embedded index: every caller gives its folder
            report = reindex(sources, root, full=full, progress=progress, procs=procs)
        if "commit" in tasks:
            bar.update(tasks["commit"], completed=1)
        return report


def print_report(report: ReindexReport, root: Path | str) -> None:
    kind = "full rebuild" if report.full else "incremental update"
    if report.rebuilt_because:
        out.print(f"Rebuilding the whole index: {escape(report.rebuilt_because)}.")
    if report.up_to_date:
        out.print(f"Index at {root} is up to date ({report.files_unchanged} files unchanged).")
    else:
        out.print(
            f"{kind.capitalize()} of {root} in {report.seconds:.1f} s: "
            f"{report.files_read} files read, {report.files_unchanged} unchanged, "
            f"{report.files_removed} removed; {report.transcripts_indexed} transcripts and "
            f"{report.utterances_indexed} utterances indexed; "
            f"{report.transcripts_total} transcripts in the index."
        )
    if report.skipped:
        out.print(f"{len(report.skipped)} skipped:")
        for s in report.skipped:
            out.print(f"  {escape(s.path)}: {escape(s.reason)}")
    if report.warnings:
        out.print(f"{len(report.warnings)} warnings (indexed without it):")
        for s in report.warnings:
            out.print(f"  {escape(s.path)}: {escape(s.reason)}")


@main.command("search")
@click.argument("query", required=False, default="")
@click.option("--speaker", multiple=True, help="Only utterances by this speaker (repeatable).")
@click.option("--person", multiple=True, help="Only transcripts tagged with this person.")
@click.option("--geography", multiple=True, help="Only transcripts tagged with this place.")
@click.option("--topic", multiple=True, help="Only transcripts tagged with this topic.")
@click.option(
    "--source", multiple=True, help='Only transcripts from this source ("WebVTT", "ParlaMint-GB").'
)
@click.option("--language", multiple=True,
              help='Only passages in this language ("German", or its code "de").')
@click.option("--party", multiple=True, help="Only speakers of this party that day.")
@click.option("--from", "date_from", help="From this date (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Up to this date (YYYY-MM-DD).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@index_dir_option
@backend_options
def search_cmd(
    query: str, speaker: tuple[str, ...], person: tuple[str, ...], geography: tuple[str, ...],
    topic: tuple[str, ...], source: tuple[str, ...], language: tuple[str, ...],
    party: tuple[str, ...], date_from: str | None, date_to: str | None,
    sort: str, page: int, as_json: bool, index_dir: Path | None, backend: str | None,
    opensearch_url: str | None, opensearch_index: str | None,
) -> None:
    """Search the index. Words all must match; "quoted words" match exactly; OR, -word,
    prefix*, speaker:, person:, geography:, topic:, title: work too."""
    try:
        req = SearchRequest(
            q=query,
            speaker=list(speaker),
            person=list(person),
            geography=list(geography),
            topic=list(topic),
            source=list(source),
            language=languages_named(language),
            party=list(party),
            date_from=parse_date(date_from, "--from"),
            date_to=parse_date(date_to, "--to"),
            sort=sort,
            page=page,
        )
        result = search(open_index(_chosen(backend), index_dir, opensearch_url,
                                   opensearch_index), req)
    except (QueryError, IndexMissing) as exc:
        fail(exc, as_json)
        return
    except ClusterUnavailable as exc:
        fail(exc, as_json, status=1)
        return
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    print_result(result)


def parse_date(text: str | None, option: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{option} takes a date as YYYY-MM-DD, not '{text}'.") from None


def html_to_rich(snippet: str) -> str:
    """Snippets are HTML with <mark>; the terminal shows the marks in bold yellow."""
    parts = re.split(r"(</?mark>)", snippet)
    text, bold = [], False
    for part in parts:
        if part in ("<mark>", "</mark>"):
            bold = part == "<mark>"
            continue
        piece = escape(html.unescape(part))
        text.append(f"[bold yellow]{piece}[/bold yellow]" if bold else piece)
    return "".join(text)


def relax_lines(result: SearchResult) -> list[str]:
    """For an empty result with filters: each filter whose removal brings results back,
    as the options to leave out (the site shows them as chips to remove)."""
    if not result.total_without_filters:  # no filters, or the words match nothing at all
        return []
    words = result.request.q
    head = (f"The words alone match {result.total_without_filters} utterances."
            if words else "No transcript has all of these filters.")
    if not result.relax:
        return [f"{head} Leaving out any one filter still leaves nothing.", ""]
    lines = [f"{head} Leave one filter out:"]
    for r in result.relax:
        option = " ".join(f"--{r.field} {escape(repr(v) if ' ' in v else v)}"
                          for v in r.values)
        lines.append(f"  without {option}: {r.total} utterances in "
                     f"{r.total_transcripts} transcripts")
    return [*lines, ""]


def print_result(result: SearchResult) -> None:
    req = result.request
    if result.suggestion:
        out.print(f"Did you mean: [bold]{escape(result.suggestion)}[/bold]?")
    for note in result.notes:
        out.print(f"[dim]{escape(note)}[/dim]")
    print_value_notes(result.value_notes, out)
    out.print(
        f"{result.total} matching utterances in {result.total_transcripts} transcripts"
        f" — page {req.page} of {result.pages}, sorted by {req.sort}\n"
    )
    for line in relax_lines(result):
        out.print(line)
    for t in result.transcripts:
        when = " ".join(x for x in (t.date, t.time) if x)
        out.print(
            f"[bold]{escape(t.title)}[/bold]  "
            f"[dim]{escape(when)} {escape(t.place)}  {escape(t.source)}  id {t.id}[/dim]"
        )
        for u in t.utterances:
            who = u.label or ("(title and lead)" if u.kind == "page" else "(narrative)")
            at = f" {clock(u.start)}" if u.start is not None else ""
            out.print(
                f"  [cyan]#{u.position}{at} {escape(who)}:[/cyan] {html_to_rich(u.snippet)}"
            )
        if t.matched > len(t.utterances):
            out.print(f"  [dim]… and {t.matched - len(t.utterances)} more in this transcript[/dim]")
        out.print()
    for name, values in result.facets.items():
        if values:
            shown = ", ".join(
                f"{escape('[x] ') if v.selected else ''}{escape(v.label)} ({v.count})"
                for v in values[:8]
            )
            more = f", … {len(values) - 8} more" if len(values) > 8 else ""
            out.print(f"[bold]{name.capitalize()}[/bold]: {shown}{more}")
    out.print(
        "\n[dim]Texts: President of Russia website, en.kremlin.ru, CC BY 4.0; other sources"
        " as each transcript states (transcripts parse, /api/transcripts/ID).[/dim]"
    )


def print_value_notes(notes: list[ValueNote], console: Console) -> None:
    """A ticked value no transcript has, and the options that ask for the nearest ones."""
    for n in notes:
        console.print(f"[yellow]note:[/yellow] {escape(n.message)}")
        if n.closest:
            offered = " or ".join(f"--{n.field} {_quoted(c.value)}" for c in n.closest)
            console.print(f"  did you mean: {escape(offered)}")


def _quoted(value: str) -> str:
    """A value as a POSIX shell reads it inside double quotes."""
    return '"' + re.sub(r'([\\"$`])', r"\\\1", value) + '"'


def filter_options(command: _Command) -> _Command:
    """The search's filters, for the commands that work on a whole search."""
    options = [
        click.option("--speaker", multiple=True, help="Only utterances by this speaker."),
        click.option("--person", multiple=True, help="Only transcripts tagged with this person."),
        click.option("--geography", multiple=True, help="Only transcripts tagged with this place."),
        click.option("--topic", multiple=True, help="Only transcripts tagged with this topic."),
        click.option("--source", multiple=True,
                     help='Only transcripts from this source ("WebVTT", "ParlaMint-GB").'),
        click.option("--language", multiple=True,
                     help='Only passages in this language ("German", or its code "de").'),
        click.option("--party", multiple=True, help="Only speakers of this party that day."),
        click.option("--from", "date_from", help="From this date (YYYY-MM-DD)."),
        click.option("--to", "date_to", help="Up to this date (YYYY-MM-DD)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def languages_named(values: Iterable[str]) -> list[str]:
    """Languages as the facet names them: "de" and "deu" are "German"."""
    return [language.facet_name(v) for v in values]


def filtered_request(query: str, speaker: Iterable[str], person: Iterable[str],
                     geography: Iterable[str], topic: Iterable[str], date_from: str | None,
                     date_to: str | None, source: Iterable[str] = (),
                     language: Iterable[str] = (), party: Iterable[str] = ()) -> SearchRequest:
    return SearchRequest(
        q=query.strip(),
        speaker=list(speaker),
        person=list(person),
        geography=list(geography),
        topic=list(topic),
        source=list(source),
        language=languages_named(language),
        party=list(party),
        date_from=parse_date(date_from, "--from"),
        date_to=parse_date(date_to, "--to"),
    )


@main.command("export")
@click.argument("query", required=False, default="")
@filter_options
@click.option("--format", "fmt", type=click.Choice(export.FORMATS), default="csv",
              show_default=True)
@click.option("--sort", type=click.Choice(export.SORTS), default="oldest", show_default=True,
              help="oldest: by date, then place in the transcript.")
@click.option("--bom", is_flag=True, help="Begin the CSV with a UTF-8 byte-order mark (Excel).")
@click.option("--limit", type=click.IntRange(1, export.MAX_ROWS), default=export.MAX_ROWS,
              show_default=True, help="Rows at most.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output).")
@click.option("--base-url", default="", metavar="URL",
              help="The site's address, for absolute permalinks (default: paths, /t/<id>#u<n>).")
@index_dir_option
@backend_options
def export_cmd(query: str, speaker: tuple[str, ...], person: tuple[str, ...],
               geography: tuple[str, ...], topic: tuple[str, ...], source: tuple[str, ...],
               language: tuple[str, ...], party: tuple[str, ...],
               date_from: str | None, date_to: str | None, fmt: str, sort: str, bom: bool,
               limit: int, output: Path | None, base_url: str, index_dir: Path | None,
               backend: str | None, opensearch_url: str | None,
               opensearch_index: str | None) -> None:
    """Every utterance a search matches, as CSV (RFC 4180) or JSON Lines.

    Takes the same query and filters as `search`; an empty query exports everything the
    filters match. Past --limit (at most 100,000) the file ends with a note saying how
    many were left out, and a warning goes to standard error.
    """
    try:
        req = filtered_request(query, speaker, person, geography, topic, date_from, date_to,
                               source, language, party)
        index = open_index(_chosen(backend), index_dir, opensearch_url, opensearch_index)
        plan = backends.plan_export(index, req, sort, limit)
        print_value_notes(request_notes(index, req), err)
        base = base_url.rstrip("/")
        chunks = export.export_chunks(
            plan, fmt, bom, lambda tid, pos: base + export.permalink_path(tid, pos)
        )
        if output:
            # newline="": the CSV's CRLF line ends are written as they are.
            with open(output, "w", encoding="utf-8", newline="") as f:
                for chunk in chunks:
                    f.write(chunk)
        else:
            for chunk in chunks:
                sys.stdout.buffer.write(chunk.encode("utf-8"))
            sys.stdout.buffer.flush()
    except (QueryError, IndexMissing) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(2)
    except ClusterUnavailable as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(1)
    except OSError as exc:
        err.print(f"[red]error:[/red] could not write the export: {escape(str(exc))}")
        sys.exit(1)
    if plan.truncated:
        err.print(
            f"[yellow]warning:[/yellow] {plan.total:,} utterances match; exported the first "
            f"{plan.rows:,} (--limit {plan.limit:,}). Narrow the search to export the rest."
        )
    if output:
        err.print(f"Wrote {plan.rows:,} rows to {escape(str(output))}.")


@main.command("kwic")
@click.argument("query")
@filter_options
@click.option("--sort", type=click.Choice(concordance.SORTS), default="oldest",
              show_default=True, help="By date, relevance, or the words around the match.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--per-page", type=click.IntRange(1, concordance.MAX_PER_PAGE),
              default=concordance.PER_PAGE, show_default=True)
@click.option("--width", type=click.IntRange(concordance.MIN_WIDTH, concordance.MAX_WIDTH),
              default=40, show_default=True, help="Characters of context on each side.")
@click.option("--json", "as_json", is_flag=True, help="Print the page of lines as JSON.")
@index_dir_option
@backend_options
def kwic_cmd(query: str, speaker: tuple[str, ...], person: tuple[str, ...],
             geography: tuple[str, ...], topic: tuple[str, ...], source: tuple[str, ...],
             language: tuple[str, ...], party: tuple[str, ...],
             date_from: str | None, date_to: str | None, sort: str, page: int, per_page: int,
             width: int, as_json: bool, index_dir: Path | None, backend: str | None,
             opensearch_url: str | None, opensearch_index: str | None) -> None:
    """Every occurrence of QUERY with the words around it, one line each (a concordance).

    Same query and filters as `search`; a quoted phrase is one hit. For every line as a
    file, use the site's /kwic.csv or `transcripts export` for whole utterances.
    """
    try:
        req = filtered_request(query, speaker, person, geography, topic, date_from, date_to,
                               source, language, party)
        index = open_index(_chosen(backend), index_dir, opensearch_url, opensearch_index)
        result = backends.concordance(index, req, sort, page, per_page, width)
        notes = request_notes(index, req)
    except (QueryError, IndexMissing) as exc:
        fail(exc, as_json)
        return
    except ClusterUnavailable as exc:
        fail(exc, as_json, status=1)
        return
    if as_json:
        data = {k: v for k, v in asdict(result).items() if k != "request"}
        data["value_notes"] = [asdict(n) for n in notes]
        click.echo(json.dumps({**data, "pages": result.pages}, ensure_ascii=False))
        return
    for note in result.notes:
        out.print(f"[dim]{escape(note)}[/dim]")
    print_value_notes(notes, out)
    out.print(
        f"{result.total:,} hits in {result.utterances:,} passages of {result.transcripts:,} "
        f"transcripts — page {result.page} of {result.pages}, sorted by {sort}\n"
    )
    for line in result.lines:
        left = line.left[-width:].rjust(width)
        who = line.speaker or line.label or ("(title)" if line.kind == "page" else "(narrative)")
        out.print(
            f"{escape(left)}[bold yellow]{escape(line.match)}[/bold yellow]"
            f"{escape(line.right[:width].ljust(width))}  "
            f"[dim]{escape(who)}, {line.date}, {line.transcript_id}#u{line.position}[/dim]"
        )
    out.print("\n[dim]Texts: President of Russia website, en.kremlin.ru, CC BY 4.0.[/dim]")


def fail(exc: Exception, as_json: bool, status: int = 2) -> None:
    """One line (or a JSON error) and the exit status: 2 for what the user asked, 1 for
    a cluster that cannot answer."""
    if as_json:
        click.echo(json.dumps({"error": str(exc)}))
    else:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
    sys.exit(status)


@main.command("trends")
@click.argument("queries", nargs=-1)
@filter_options
@click.option("--bucket", type=click.Choice(["year", "month"]), default=None,
              help="Per year or month (default: month when the range is 3 years or less).")
@click.option("--json", "as_json", is_flag=True, help="Print the series as JSON.")
@index_dir_option
@backend_options
def trends_cmd(queries: tuple[str, ...], speaker: tuple[str, ...], person: tuple[str, ...],
               geography: tuple[str, ...], topic: tuple[str, ...], source: tuple[str, ...],
               language: tuple[str, ...], party: tuple[str, ...],
               date_from: str | None, date_to: str | None, bucket: str | None, as_json: bool,
               index_dir: Path | None, backend: str | None, opensearch_url: str | None,
               opensearch_index: str | None) -> None:
    """How often each query (up to four) is used over time: hits per million words."""
    try:
        req = filtered_request("", speaker, person, geography, topic, date_from, date_to,
                               source, language, party)
        index = open_index(_chosen(backend), index_dir, opensearch_url, opensearch_index)
        result = backends.trends(index, req, list(queries), bucket)
        notes = request_notes(index, req)
    except (QueryError, IndexMissing) as exc:
        fail(exc, as_json)
        return
    except ClusterUnavailable as exc:
        fail(exc, as_json, status=1)
        return
    if as_json:
        data = {**result.to_dict(), "value_notes": [asdict(n) for n in notes]}
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    print_value_notes(notes, out)
    from rich.table import Table

    for s in result.series:
        title = (f"“{s.query}”: {s.hits:,} hits in {s.words:,} words"
                 + (f" ({s.rate:,.1f} per million)" if s.rate is not None else "")
                 if s.query else f"Words per {result.bucket}")
        table = Table(title=escape(title), title_justify="left")
        table.add_column(result.bucket.capitalize())
        counted = ["Per million", "95 % interval", "Mentioning"] if s.query else []
        for name in (["Hits"] if s.query else []) + ["Words", *counted, "Transcripts"]:
            table.add_column(name, justify="right", no_wrap=name == "95 % interval")
        for b in s.buckets:
            flags = "*" * b.partial + "~" * b.sparse
            row = [f"{b.label}{flags}"]
            if s.query:
                row.append(f"{b.hits:,}")
            row.append(f"{b.words:,}")
            if s.query:
                row += [
                    "–" if b.rate is None else f"{b.rate:,.1f}",
                    "–" if b.low is None else f"{b.low:,.1f}–{b.high:,.1f}",
                    f"{b.transcripts:,}",
                ]
            row.append(f"{b.all_transcripts:,}")
            table.add_row(*row, style="dim" if b.sparse else None)
        out.print(table)
        for note in s.notes:
            out.print(f"[dim]{escape(note)}[/dim]")
    out.print("[dim]Rate: hits per million words of the text passing the filters; interval: "
              "95 % Wilson score; * partial bucket; ~ under 10,000 words.[/dim]")


@main.command("speakers")
@click.argument("query", required=False, default="")
@filter_options
@click.option("--sort", type=click.Choice(("low", "rate", "hits", "words", "transcripts",
                                          "name")), default="low", show_default=True,
              help="low = the lower bound of the rate's 95 % interval.")
@click.option("--by", type=click.Choice(GROUPS), default="speaker", show_default=True,
              help="Rank speakers, or parties (each party's members' turns together).")
@click.option("--min-words", type=click.IntRange(0), default=10_000, show_default=True)
@click.option("--min-hits", type=click.IntRange(0), default=3, show_default=True)
@click.option("--min-transcripts", type=click.IntRange(0), default=2, show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the ranking as JSON.")
@index_dir_option
@backend_options
def speakers_cmd(query: str, speaker: tuple[str, ...], person: tuple[str, ...],
                 geography: tuple[str, ...], topic: tuple[str, ...], source: tuple[str, ...],
                 language: tuple[str, ...], party: tuple[str, ...],
                 date_from: str | None, date_to: str | None, sort: str, by: str,
                 min_words: int, min_hits: int, min_transcripts: int, limit: int, as_json: bool,
                 index_dir: Path | None, backend: str | None, opensearch_url: str | None,
                 opensearch_index: str | None) -> None:
    """Who uses QUERY most, per 10,000 of their own words (no query: who speaks most)."""
    try:
        req = filtered_request(query, speaker, person, geography, topic, date_from, date_to,
                               source, language, party)
        index = open_index(_chosen(backend), index_dir, opensearch_url, opensearch_index)
        ranking = backends.speaker_ranking(
            index, req, sort=sort, min_words=min_words, min_hits=min_hits,
            min_transcripts=min_transcripts, limit=limit, by=by,
        )
        notes = request_notes(index, req)
    except (QueryError, IndexMissing) as exc:
        fail(exc, as_json)
        return
    except ClusterUnavailable as exc:
        fail(exc, as_json, status=1)
        return
    if as_json:
        data = {**ranking.to_dict(), "value_notes": [asdict(n) for n in notes]}
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    print_value_notes(notes, out)
    from rich.table import Table

    counted = bool(query.strip())
    group = "Party" if by == "party" else "Speaker"
    table = Table(title=escape(f"Who says “{query}” most, per 10,000 of their words" if counted
                               else f"{group} by words spoken"), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column(group)
    names = (["Per 10,000", "95 % interval", "Hits"] if counted else []) + ["Words"] + (
        ["Transcripts with hits"] if counted else []) + ["Spoke in"]
    for name in names:
        table.add_column(name, justify="right")
    for i, r in enumerate(ranking.rows, 1):
        row = [str(i), escape(r.speaker)]
        if counted:
            row += [f"{r.rate:,.2f}", f"{r.low:,.2f}–{r.high:,.2f}", f"{r.hits:,}"]
        row.append(f"{r.words:,}")
        if counted:
            row.append(f"{r.transcripts:,}")
        row.append(f"{r.spoke_in:,}")
        table.add_row(*row)
    out.print(table)
    kind = "parties" if by == "party" else "speakers"
    out.print(f"[dim]{ranking.ranked} {kind} with at least {min_words:,} words"
              + (f", {min_hits} hits in {min_transcripts} transcripts" if counted else "")
              + f"; {ranking.total_hits:,} hits by {ranking.speakers_with_hits} {kind} "
              "in all.[/dim]")


@main.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per transcript per line.")
def parse_cmd(files: tuple[Path, ...], as_json: bool) -> None:
    """Show what files read as: metadata, speakers and utterances."""
    failed = False
    for path in files:
        problems: list[ReadError] = []
        try:
            transcripts = read_file(path, problems)
        except (ReadError, OSError) as exc:
            err.print(f"[red]{escape(str(path))}:[/red] {escape(str(exc))}")
            failed = True
            continue
        for problem in problems:
            err.print(f"[yellow]{escape(str(path))}:[/yellow] {escape(str(problem))}")
        for t in transcripts:
            resolve_speakers(t, learn_names(t))
            if as_json:
                click.echo(json.dumps(t.to_dict(), ensure_ascii=False))
            else:
                print_transcript(t)
    sys.exit(1 if failed else 0)


def print_transcript(t: Transcript) -> None:
    out.print(f"[bold]{escape(t.title)}[/bold]  [dim]id {t.id}  {escape(t.file)}[/dim]")
    for name in (
        "lead", "date", "time", "place", "published", "url", "media", "source", "licence",
        "attribution",
    ):
        if getattr(t, name):
            out.print(f"  {name}: {escape(str(getattr(t, name)))}")
    for name in ("geography", "topics", "persons", "sections"):
        if getattr(t, name):
            out.print(f"  {name}: {escape('; '.join(getattr(t, name)))}")
    for u in t.utterances:
        at = ""
        if u.start is not None:
            at = f" {clock(u.start)}" + (f"–{clock(u.end)}" if u.end is not None else "")
        if u.label:
            who = f"{u.label}" + (f" ({u.note})" if u.note else "")
            if u.speaker is None:
                canon = " [dim](anonymous: no speaker)[/dim]"
            elif u.speaker_is_role:
                canon = f" [dim]= {escape(u.speaker)} (role only: the page names nobody)[/dim]"
            else:
                role = f", {u.role}" if u.role else ""
                canon = f" [dim]= {escape(u.speaker + role)}[/dim]"
            out.print(
                f"  [cyan]#{u.position}{at} {escape(who)}[/cyan]{canon}: {escape(_short(u.text))}"
            )
        else:
            note = f" ({u.note})" if u.note else ""
            head = f"#{u.position}{at} (narrative){note}"
            out.print(f"  [dim]{escape(head)}[/dim] {escape(_short(u.text))}")
    out.print()


def _short(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@main.command("fetch")
@click.option("--since", metavar="YYYY-MM-DD", help="Also fetch history back to this date.")
@click.option("--pages", type=click.IntRange(1), help="Also walk this many listing pages.")
@click.option("--all", "all_pages", is_flag=True, help="Walk every listing page (resumable).")
@click.option(
    "--to",
    "to",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CORPUS,
    show_default=True,
    help="Corpus folder: one .html file per page, the state database beside them.",
)
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True, help="The site.")
@click.option(
    "--delay",
    type=click.FloatRange(0),
    default=2.0,
    show_default=True,
    help="Minimum seconds between requests (robots.txt Crawl-delay may raise it).",
)
@click.option(
    "--max-requests",
    type=click.IntRange(1),
    default=300,
    show_default=True,
    help="Request budget of this run (every request counts, retries too).",
)
@click.option(
    "--connect-timeout",
    type=click.FloatRange(0.1),
    default=10.0,
    show_default=True,
    help="Seconds to wait for a connection.",
)
@click.option(
    "--read-timeout",
    type=click.FloatRange(0.1),
    default=45.0,
    show_default=True,
    help="Seconds to wait for the site to send anything.",
)
@click.option(
    "--tries",
    type=click.IntRange(1, 10),
    default=4,
    show_default=True,
    help="Tries per URL in one run on 429/503 or a dropped connection.",
)
@click.option(
    "--max-retry-after",
    type=click.FloatRange(0),
    default=300.0,
    show_default=True,
    help="Longest Retry-After waited for; a longer one ends the run.",
)
@click.option("--user-agent", default=None, help="Replace the User-Agent (keep a contact in it).")
@click.option("--no-reindex", is_flag=True, help="Only fetch; do not update the index.")
@click.option("--alerts", "run_alerts_after", is_flag=True,
              help="Then run the alerts (`transcripts alerts run`).")
@site_url_option
@secrets_option
@alerts_db_option
@index_dir_option
@backend_options
def fetch_cmd(
    since: str | None,
    pages: int | None,
    all_pages: bool,
    to: Path,
    base_url: str,
    delay: float,
    max_requests: int,
    connect_timeout: float,
    read_timeout: float,
    tries: int,
    max_retry_after: float,
    user_agent: str | None,
    no_reindex: bool,
    run_alerts_after: bool,
    site_url: str,
    secrets: Path | None,
    alerts_db: Path | None,
    index_dir: Path | None,
    backend: str | None,
    opensearch_url: str | None,
    opensearch_index: str | None,
) -> None:
    """Fetch new transcripts from en.kremlin.ru politely, then update the index.

    Without options: what is new since the last run (the feed). History: --since DATE,
    --pages N or --all. Safe to stop at any moment and to run again.
    """
    if sum(x is not None and x is not False for x in (since, pages, all_pages)) > 1:
        raise click.UsageError("give at most one of --since, --pages and --all")
    since_date = None
    if since:
        try:
            since_date = dt.date.fromisoformat(since)
        except ValueError:
            raise click.BadParameter("a date as YYYY-MM-DD", param_hint="--since") from None
    if not re.match(r"^https?://[^/\s]+/?$", base_url):
        raise click.BadParameter(
            "the site's address, as http://host or https://host", param_hint="--base-url"
        )
    options = FetchOptions(
        corpus=to,
        base_url=base_url,
        since=since_date,
        pages=pages,
        all_pages=all_pages,
        delay=delay,
        max_requests=max_requests,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        tries=tries,
        max_retry_after=max_retry_after,
        user_agent=user_agent,
    )
    stop = threading.Event()
    try:
        with _stop_on_signals(stop):
            report = _fetch_with_progress(options, stop)
    except FetchLocked as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(1)
    except KeyboardInterrupt:  # before the run started or after it ended: nothing to lose
        err.print("interrupted; everything fetched so far is kept")
        sys.exit(130)
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot write the corpus at {to}: {escape(str(exc))}")
        sys.exit(1)
    except sqlite3.Error as exc:
        err.print(
            f"[red]error:[/red] the fetch state {to / STATE_FILE} cannot be used "
            f"({escape(str(exc))}); move it aside to start afresh: the pages already in {to} "
            "are kept and adopted, not fetched again"
        )
        sys.exit(1)
    print_fetch_report(report, to)
    if not no_reindex and not report.interrupted and _chosen(backend) == "opensearch":
        reindex_fetched_into_cluster(to, ClusterSettings.from_env(opensearch_url,
                                                                  opensearch_index))
    elif not no_reindex and not report.interrupted:
        root = location.index_root(index_dir)
        if location.live_generation(root) is None or index_is_behind(to, root):
            try:
                print_report(run_reindex([to], root, False, 1), root)
                mark_indexed(to, root)
            except (NothingIndexed, location.IndexLocked) as exc:
                err.print(f"[red]error:[/red] {escape(str(exc))}")
                sys.exit(1)
            except KeyboardInterrupt:
                err.print(f"interrupted: the index was left as it was; the pages are kept "
                          f"(the next fetch, or transcripts reindex {to}, indexes them)")
                sys.exit(130)
            except OSError as exc:
                err.print(
                    f"[red]error:[/red] the index could not be written at {root}: "
                    f"{escape(str(exc))}"
                )
                sys.exit(1)
    if report.interrupted:
        sys.exit(130)
    status = 0 if report.ok else 1
    if run_alerts_after:
        index = open_index(_chosen(backend), index_dir, opensearch_url, opensearch_index)
        status = max(status, run_alerts(index, index_dir, alerts_db, site_url, secrets))
    sys.exit(status)


def reindex_fetched_into_cluster(folder: Path, settings: ClusterSettings) -> None:
    """After a fetch: the pages into the OpenSearch index (an update: only what changed)."""
    where = describe_cluster(settings)
    marker = f"opensearch:{settings.describe()}/{settings.alias}"
    try:
        if not cluster_has_index(settings) or index_is_behind(folder, marker):
            print_report(run_reindex([folder], None, False, 1, settings), where)
            mark_indexed(folder, marker)
    except (NothingIndexed, ReindexLocked, ClusterUnavailable) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}; the pages are kept (the next fetch, "
                  f"or transcripts reindex --backend opensearch {folder}, indexes them)")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print(f"interrupted: the index was left as it was; the pages are kept "
                  f"(the next fetch, or transcripts reindex {folder}, indexes them)")
        sys.exit(130)


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM set ``stop``, which the run reads before each request: never
    lost, whatever the run is doing when the signal comes. A second Ctrl-C does not wait
    for the request in flight. The handlers before are put back after the run (so a
    Ctrl-C during the reindex that follows interrupts it as usual)."""

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    before = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _fetch_with_progress(options: FetchOptions, stop: threading.Event) -> FetchReport:
    columns = (
        TextColumn("fetching"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "{task.fields[discovered]} discovered · delay {task.fields[delay]:.1f} s"
            " · ETA {task.fields[eta]}"
        ),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task("fetch", total=None, discovered=0, delay=options.delay, eta="–")

        def progress(p: FetchProgress) -> None:
            eta = "–" if not p.pending else str(dt.timedelta(seconds=round(p.eta)))
            bar.update(
                task,
                completed=p.done,
                total=max(p.done + p.pending, 1),
                discovered=p.discovered,
                delay=p.delay,
                eta=eta,
            )

        def sleep(seconds: float) -> None:
            stop.wait(seconds)  # a stop wakes it early

        return run_fetch(options, Clock(sleep=sleep), progress=progress, stop=stop)


def print_fetch_report(report: FetchReport, folder: Path) -> None:
    failed = len(report.failed)
    out.print(
        f"Fetched into {folder} in {report.seconds:.1f} s: {len(report.new)} new, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.gone)} gone, {failed} failed; {report.discovered} pages discovered "
        f"from {report.listing_pages} feed and listing pages; {report.requests} requests, "
        f"{report.waited:.1f} s waiting between them."
    )
    if report.disallowed:
        out.print(f"{len(report.disallowed)} pages not fetched: robots.txt disallows them.")
    for f in report.failed:
        out.print(f"  failed: {escape(f.url)}: {escape(f.reason)}")
    for note in report.notes:
        out.print(f"  [dim]note: {escape(note)}[/dim]")
    if report.pending:
        out.print(f"{report.pending} known pages are still to fetch: run again to continue.")
    if report.stopped:
        style = "yellow" if report.ok or report.interrupted else "red"
        out.print(f"[{style}]stopped:[/{style}] {escape(report.stopped)}")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on: 127.0.0.1 is this machine only, 0.0.0.0 every interface.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 256), default=8, show_default=True)
@index_dir_option
@backend_options
def serve_cmd(host: str, port: int, threads: int, index_dir: Path | None, backend: str | None,
              opensearch_url: str | None, opensearch_index: str | None) -> None:
    """Serve the search site (building the index from seeds/ first if there is none).

    The address is bound before anything else: a port already in use or a host that
    cannot be bound is reported in one line before a first build spends seconds on the
    demo corpus, and "Serving on" is printed only once the socket is bound and the app
    is ready. Connections arriving during that build wait in the socket's backlog and
    are answered when it is done.
    """
    from transcripts.web import create_app

    logging.basicConfig()  # waitress's and the app's warnings and errors, as waitress.serve does
    app_slot: list[WSGIApplication] = []
    if _chosen(backend) == "opensearch":
        # The client warns of each failed try; the site says it once per request (503).
        logging.getLogger("opensearch").setLevel(logging.ERROR)
        settings = ClusterSettings.from_env(opensearch_url, opensearch_index)
        server = bind_server(lambda environ, start: app_slot[0](environ, start), host, port,
                             threads)
        where = describe_cluster(settings)
        try:
            if not cluster_has_index(settings):
                err.print(f"No index in {where} yet: indexing {DEFAULT_SEEDS} first.")
                print_report(run_reindex([DEFAULT_SEEDS], None, False, 1, settings), where)
        except (NothingIndexed, ReindexLocked, ClusterUnavailable) as exc:
            server.close()
            serve_failed(escape(str(exc)))
        app_slot.append(create_app({"BACKEND": "opensearch", "OPENSEARCH_URL": opensearch_url,
                                    "OPENSEARCH_INDEX": settings.alias}))
        out.print(f"Serving on http://{server_address(server)}/  (index: {escape(where)}; "
                  "Ctrl+C to stop)")
        server.run()
        return
    root = location.index_root(index_dir)
    server = bind_server(lambda environ, start: app_slot[0](environ, start), host, port, threads)
    try:
        if location.live_generation(root) is None:
            check_index_folder(root)
            err.print(f"No index at {root} yet: indexing {DEFAULT_SEEDS} first.")
            # Two writer processes: the demo corpus builds in well under the 15 s a first
            # visit should wait (measured in docs/getting-started.md, "The demo corpus").
            procs = min(2, os.cpu_count() or 1)
            print_report(run_reindex([DEFAULT_SEEDS], root, False, procs), root)
        elif because := live_outdated(root):
            err.print(
                f"[yellow]note:[/yellow] {escape(because)}. Searches work, but run "
                "`transcripts reindex` with the same files to bring it up to date."
            )
        app_slot.append(create_app({"INDEX_DIR": str(root), "WARM_ANALYSIS": True,
                                    "BACKEND": "embedded"}))
    except (NothingIndexed, location.IndexLocked) as exc:
        server.close()
        serve_failed(escape(str(exc)))
    except OSError as exc:
        server.close()
        serve_failed(f"the index could not be built at {root}: {escape(os_reason(exc))}; "
                     "choose a folder you can write with --index-dir")
    out.print(f"Serving on http://{server_address(server)}/  (index: {root}; Ctrl+C to stop)")
    server.run()


def serve_failed(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    sys.exit(1)


def os_reason(exc: OSError) -> str:
    """"Permission denied: 'instance/index'" rather than "[Errno 13] Permission denied…"."""
    reason = exc.strerror or str(exc)
    return f"{reason}: '{exc.filename}'" if exc.filename else reason


def check_index_folder(root: Path) -> None:
    """Before a build: a folder that exists but cannot be read or written, or that
    cannot be created, is named in one line (the build would fail on it anyway)."""
    existing = next((p for p in (root, *root.parents) if p.exists()), None)
    if existing is None:
        return
    if not existing.is_dir():
        serve_failed(f"the index folder {root} cannot be created: {existing} is not a folder; "
                     "choose another with --index-dir")
    if not os.access(existing, os.W_OK | os.X_OK) or (
            existing == root and not os.access(root, os.R_OK)):
        what = "is not readable and writable" if existing == root else (
            f"cannot be created: {existing} is not writable")
        serve_failed(f"the index folder {root} {what} by this user; "
                     "choose another with --index-dir")


def bind_server(app: WSGIApplication, host: str, port: int, threads: int) -> Any:
    """A waitress server bound to host:port and listening, or one line saying why not."""
    import waitress

    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        serve_failed(f"cannot serve on --host {escape(host)}: the name does not resolve "
                     f"({exc.strerror}); use an address such as 127.0.0.1 (this machine "
                     "only) or 0.0.0.0 (every interface)")
    try:
        return waitress.create_server(app, host=host, port=port, threads=threads,
                                      ident="transcripts")
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            serve_failed(f"port {port} on {escape(host)} is already in use (another "
                         f"`transcripts serve`?): choose another with --port, e.g. "
                         f"`transcripts serve --port {port + 1 if port < 65535 else 8000}`")
        if exc.errno == errno.EADDRNOTAVAIL:
            serve_failed(f"cannot serve on --host {escape(host)}: no network interface of "
                         "this machine has that address; use 127.0.0.1 (this machine only) "
                         "or 0.0.0.0 (every interface)")
        if exc.errno == errno.EACCES:
            serve_failed(f"this user may not listen on port {port} (ports below 1024 need "
                         "administrator rights): choose another with --port, e.g. --port 8000")
        serve_failed(f"cannot serve on {escape(host)}:{port}: {escape(os_reason(exc))}")
    except ValueError as exc:  # waitress: a host it cannot use
        serve_failed(f"cannot serve on --host {escape(host)}: {escape(str(exc))}")


def server_address(server: Any) -> str:
    """Where it listens (the first address, when a name resolves to several)."""
    listen = getattr(server, "effective_listen", None)  # waitress's MultiSocketServer
    host, port = listen[0] if listen else (server.effective_host, server.effective_port)
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"




# -- alerts ----------------------------------------------------------------------------------
@main.group("alerts")
def alerts_group() -> None:
    """Send new passages of saved searches to e-mail, chat or webhooks (via Apprise)."""


@contextlib.contextmanager
def _alert_store(index_dir: Path | None, alerts_db: Path | None) -> Iterator[sqlite3.Connection]:
    db = alerts.db_path(location.index_root(index_dir), alerts_db)
    try:
        with alerts.open_store(db) as conn:
            yield conn
    except sqlite3.Error as exc:
        err.print(f"[red]error:[/red] the alerts database {db} cannot be used: {escape(str(exc))}")
        sys.exit(1)
    except OSError as exc:
        err.print(f"[red]error:[/red] the alerts database {db}: {os_reason(exc)}")
        sys.exit(1)


def _alert_fail(message: str, status: int = 2) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}")
    sys.exit(status)


@alerts_group.command("add")
@click.argument("name")
@click.argument("query", required=False, default="")
@filter_options
@click.option("--notify", "urls", multiple=True, required=True, metavar="URL",
              help="An Apprise URL (repeatable): mailto://…, json://…, slack://…; "
                   "secrets as ${NAME}.")
@click.option("--since", metavar="YYYY-MM-DD",
              help="Also send, in the first digest, passages already indexed that are dated "
                   "on or after this day.")
@alerts_db_option
@index_dir_option
@backend_options
def alerts_add_cmd(name: str, query: str, speaker: tuple[str, ...], person: tuple[str, ...],
                   geography: tuple[str, ...], topic: tuple[str, ...], source: tuple[str, ...],
                   language: tuple[str, ...], party: tuple[str, ...],
                   date_from: str | None, date_to: str | None, urls: tuple[str, ...],
                   since: str | None, alerts_db: Path | None, index_dir: Path | None,
                   backend: str | None, opensearch_url: str | None,
                   opensearch_index: str | None) -> None:
    """Save a search as the alert NAME: from now on, each `alerts run` sends what is new."""
    index = open_index(_chosen(backend), index_dir, opensearch_url, opensearch_index)
    try:
        req = filtered_request(query, speaker, person, geography, topic, date_from, date_to,
                               source, language, party)
        since_date = parse_date(since, "--since")
        try:  # the search must run now, or every run would fail on it
            backends.new_passages(index, req, after=float("inf"), limit=1)
            start = backends.generation_stamp(index)[1]
        except IndexMissing:
            start = 0.0  # no index yet: everything indexed later is new
        with _alert_store(index_dir, alerts_db) as conn:
            alert = alerts.add_alert(conn, name, req, list(urls), start, since_date)
    except (QueryError, alerts.AlertError) as exc:
        _alert_fail(str(exc))
    except ClusterUnavailable as exc:
        _alert_fail(str(exc), 1)
    out.print(f"Added the alert [bold]{escape(alert.name)}[/bold]: "
              f"{escape(follow.describe(alert.request))}, to "
              + ", ".join(escape(alerts.mask(t.url)) for t in alert.targets) + ".")
    out.print("It sends what is indexed from now on"
              + (f", and passages dated from {since_date} on" if since_date else "")
              + ": run `transcripts alerts run` after each fetch (or `transcripts fetch "
              "--alerts`).")


@alerts_group.command("list")
@alerts_db_option
@index_dir_option
def alerts_list_cmd(alerts_db: Path | None, index_dir: Path | None) -> None:
    """Every alert: its search and its targets (secrets masked)."""
    with _alert_store(index_dir, alerts_db) as conn:
        found = alerts.list_alerts(conn)
    if not found:
        out.print("No alerts. Add one with `transcripts alerts add NAME QUERY --notify URL`.")
        return
    for alert in found:
        out.print(f"[bold]{escape(alert.name)}[/bold]  {escape(follow.describe(alert.request))}")
        for t in alert.targets:
            state = f"[red]failing ({t.failures}×): {escape(t.last_error)}[/red]" \
                if t.failures else f"up to {_when(t.cursor)}"
            out.print(f"  → {escape(alerts.mask(t.url))}  {state}")


@alerts_group.command("show")
@click.argument("name")
@alerts_db_option
@index_dir_option
def alerts_show_cmd(name: str, alerts_db: Path | None, index_dir: Path | None) -> None:
    """One alert: its search as options, its targets and its last deliveries."""
    with _alert_store(index_dir, alerts_db) as conn:
        try:
            alert = alerts.get_alert(conn, name)
        except alerts.AlertError as exc:
            _alert_fail(str(exc))
        history = alerts.recent_deliveries(conn, name)
    out.print(f"[bold]{escape(alert.name)}[/bold], added {_when(alert.created)}")
    out.print(f"Search: {escape(follow.describe(alert.request))}")
    out.print(f"  as options: {escape(_search_options(alert.request))}")
    out.print("Targets:")
    for t in alert.targets:
        line = f"  {escape(alerts.mask(t.url))}: delivered up to {_when(t.cursor)}"
        if t.backfill_from:
            line += f"; the first digest also holds passages dated from {t.backfill_from}"
        if t.failures:
            line += f"; [red]{t.failures} failed deliveries in a row: {escape(t.last_error)}[/red]"
        out.print(line)
    if history:
        out.print("Last deliveries:")
    for d in history:
        what = f"{_count(d['passages'], 'passage')} in {_count(d['transcripts'], 'transcript')}"
        result = f"[red]failed: {escape(d['error'])}[/red]" if d["error"] else "sent"
        out.print(f"  {_when(d['at'])}  {escape(alerts.mask(d['url']))}  {what}  {result}")


@alerts_group.command("remove")
@click.argument("name")
@alerts_db_option
@index_dir_option
def alerts_remove_cmd(name: str, alerts_db: Path | None, index_dir: Path | None) -> None:
    """Delete the alert NAME and its history."""
    with _alert_store(index_dir, alerts_db) as conn:
        try:
            alerts.remove_alert(conn, name)
        except alerts.AlertError as exc:
            _alert_fail(str(exc))
    out.print(f"Removed the alert {escape(name)}.")


@alerts_group.command("test")
@click.argument("name")
@click.option("--limit", type=click.IntRange(1, 50), default=5, show_default=True,
              help="Passages in the test digest.")
@site_url_option
@secrets_option
@alerts_db_option
@index_dir_option
@backend_options
def alerts_test_cmd(name: str, limit: int, site_url: str, secrets: Path | None,
                    alerts_db: Path | None, index_dir: Path | None, backend: str | None,
                    opensearch_url: str | None, opensearch_index: str | None) -> None:
    """Send the alert's targets a test digest of the newest passages it matches now;
    nothing is marked as sent."""
    from transcripts.web import digest  # Flask's import only for the commands that write digests

    db = alerts.db_path(location.index_root(index_dir), alerts_db)
    index = open_index(_chosen(backend), index_dir, opensearch_url, opensearch_index)
    with _alert_store(index_dir, alerts_db) as conn:
        try:
            alert = alerts.get_alert(conn, name)
            known = alerts.load_secrets(alerts.secrets_path(db, secrets))
            followed = backends.new_passages(index, alert.request, limit=limit)
        except (alerts.AlertError, QueryError, IndexMissing) as exc:
            _alert_fail(str(exc))
        except ClusterUnavailable as exc:
            _alert_fail(str(exc), 1)
    failed = 0
    for t in alert.targets:
        try:
            reason = digest.send(alerts.fill_secrets(t.url, known), alert, followed,
                                 site_url, test=True)
        except alerts.AlertError as exc:
            reason = str(exc)
        failed += bool(reason)
        out.print(f"{escape(alerts.mask(t.url))}: "
                  + (f"[red]failed: {escape(reason)}[/red]" if reason else
                     f"sent a test digest of {len(followed.passages)} passages"))
    sys.exit(1 if failed else 0)


@alerts_group.command("run")
@click.argument("names", nargs=-1)
@site_url_option
@secrets_option
@alerts_db_option
@index_dir_option
@backend_options
def alerts_run_cmd(names: tuple[str, ...], site_url: str, secrets: Path | None,
                   alerts_db: Path | None, index_dir: Path | None, backend: str | None,
                   opensearch_url: str | None, opensearch_index: str | None) -> None:
    """Send each alert's targets (or only those of NAMES) what is new since their last
    digest: one digest each, nothing when nothing is new. Exit 1 if a delivery failed
    (it is sent again on the next run)."""
    index = open_index(_chosen(backend), index_dir, opensearch_url, opensearch_index)
    sys.exit(run_alerts(index, index_dir, alerts_db, site_url, secrets, list(names)))


def run_alerts(index: backends.Index, index_dir: Path | None,
               alerts_db: Path | None, site_url: str, secrets: Path | None,
               names: list[str] | None = None) -> int:
    """``alerts run`` (and ``fetch --alerts``): the exit status."""
    from transcripts.web import digest

    db = alerts.db_path(location.index_root(index_dir), alerts_db)

    def send(alert: alerts.Alert, url: str, followed: Followed) -> str | None:
        return digest.send(url, alert, followed, site_url)

    try:
        with alerts.run_lock(db), _alert_store(index_dir, alerts_db) as conn:
            if names:
                for name in names:
                    alerts.get_alert(conn, name)
            known = alerts.load_secrets(alerts.secrets_path(db, secrets))
            report = alerts.run(conn, index, send, known, names)
    except (alerts.AlertsLocked, alerts.AlertError, IndexMissing, ClusterUnavailable,
            OSError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        return 1
    if not report.deliveries:
        out.print("No alerts to run. Add one with `transcripts alerts add`.")
    for d in report.deliveries:
        where = f"{escape(d.alert)} → {escape(d.url)}"
        if d.error:
            out.print(f"{where}: [red]failed: {escape(d.error)}[/red] "
                      f"({_count(d.passages, 'passage')} kept for the next run)")
        elif d.sent:
            out.print(f"{where}: sent {_count(d.passages, 'passage')} in "
                      f"{_count(d.transcripts, 'transcript')}")
        else:
            out.print(f"{where}: nothing new")
    return 1 if report.failed else 0


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _when(timestamp: float) -> str:
    if not timestamp:
        return "the beginning"
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _search_options(req: SearchRequest) -> str:
    """The search as `transcripts search` options, to paste into a shell."""
    parts = [_quoted(req.q)] if req.q else []
    for name, values in req.filters().items():
        parts += [f"--{name} {_quoted(v)}" for v in values]
    for name, day in (("from", req.date_from), ("to", req.date_to)):
        if day:
            parts.append(f"--{name} {day.isoformat()}")
    return " ".join(parts) or "(everything)"


if __name__ == "__main__":
    main()
