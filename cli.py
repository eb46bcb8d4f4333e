"""The `transcripts` command: a thin layer over ``index`` (write) and ``search`` (read)."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from index import location
from index.readers import ReadError, read_file
from index.speakers import learn_names, resolve_speakers
from index.writer import NothingIndexed, reindex
from search.engine import IndexMissing, TranscriptIndex, search
from search.query import QueryError
from search.results import SORTS, SearchRequest

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_SEEDS = PROJECT_DIR / "seeds"

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

index_dir_option = click.option(
    "--index-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Index folder (default: ${location.ENV_VAR} or {location.DEFAULT_INDEX_DIR}).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="transcripts")
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
@index_dir_option
def reindex_cmd(
    paths: tuple[Path, ...], full: bool, procs: int | None, index_dir: Path | None
) -> None:
    """Index transcript files and folders (default: the seeds/ folder).

    Only files added, changed or removed since the last run are touched, unless --full.
    """
    root = location.index_root(index_dir)
    sources = list(paths) or [DEFAULT_SEEDS]
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


def run_reindex(sources, root: Path, full: bool, procs: int):
    columns = (
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(phase: str, done: int, total: int) -> None:
            label = {"read": "reading", "index": "indexing", "commit": "writing"}[phase]
            if phase not in tasks:
                tasks[phase] = bar.add_task(label, total=max(total, 1))
            bar.update(tasks[phase], completed=done if phase != "commit" else 0)

        report = reindex(sources, root, full=full, progress=progress, procs=procs)
        if "commit" in tasks:
            bar.update(tasks["commit"], completed=1)
        return report


def print_report(report, root: Path) -> None:
    kind = "full rebuild" if report.full else "incremental update"
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


@main.command("search")
@click.argument("query", required=False, default="")
@click.option("--speaker", multiple=True, help="Only utterances by this speaker (repeatable).")
@click.option("--person", multiple=True, help="Only transcripts tagged with this person.")
@click.option("--geography", multiple=True, help="Only transcripts tagged with this place.")
@click.option("--topic", multiple=True, help="Only transcripts tagged with this topic.")
@click.option("--from", "date_from", help="From this date (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Up to this date (YYYY-MM-DD).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@index_dir_option
def search_cmd(
    query, speaker, person, geography, topic, date_from, date_to, sort, page, as_json, index_dir
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
            date_from=parse_date(date_from, "--from"),
            date_to=parse_date(date_to, "--to"),
            sort=sort,
            page=page,
        )
        result = search(TranscriptIndex(location.index_root(index_dir)), req)
    except (QueryError, IndexMissing) as exc:
        if as_json:
            click.echo(json.dumps({"error": str(exc)}))
        else:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(2)
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


def print_result(result) -> None:
    req = result.request
    if result.suggestion:
        out.print(f"Did you mean: [bold]{escape(result.suggestion)}[/bold]?")
    for note in result.notes:
        out.print(f"[dim]{escape(note)}[/dim]")
    out.print(
        f"{result.total} matching utterances in {result.total_transcripts} transcripts"
        f" — page {req.page} of {result.pages}, sorted by {req.sort}\n"
    )
    for t in result.transcripts:
        when = " ".join(x for x in (t.date, t.time) if x)
        out.print(
            f"[bold]{escape(t.title)}[/bold]  "
            f"[dim]{escape(when)} {escape(t.place)}  id {t.id}[/dim]"
        )
        for u in t.utterances:
            who = u.label or ("(title and lead)" if u.kind == "page" else "(narrative)")
            out.print(f"  [cyan]#{u.position} {escape(who)}:[/cyan] {html_to_rich(u.snippet)}")
        if t.matched > len(t.utterances):
            out.print(f"  [dim]… and {t.matched - len(t.utterances)} more in this transcript[/dim]")
        out.print()
    for name, values in result.facets.items():
        if values:
            shown = ", ".join(
                f"{'[x] ' if v.selected else ''}{escape(v.value)} ({v.count})" for v in values[:8]
            )
            more = f", … {len(values) - 8} more" if len(values) > 8 else ""
            out.print(f"[bold]{name.capitalize()}[/bold]: {shown}{more}")
    out.print("\n[dim]Texts: President of Russia website, en.kremlin.ru, CC BY 4.0.[/dim]")


@main.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per transcript per line.")
def parse_cmd(files: tuple[Path, ...], as_json: bool) -> None:
    """Show what files read as: metadata, speakers and utterances."""
    failed = False
    for path in files:
        try:
            transcripts = read_file(path)
        except (ReadError, OSError) as exc:
            err.print(f"[red]{escape(str(path))}:[/red] {escape(str(exc))}")
            failed = True
            continue
        for t in transcripts:
            resolve_speakers(t, learn_names(t))
            if as_json:
                click.echo(json.dumps(t.to_dict(), ensure_ascii=False))
            else:
                print_transcript(t)
    sys.exit(1 if failed else 0)


def print_transcript(t) -> None:
    out.print(f"[bold]{escape(t.title)}[/bold]  [dim]id {t.id}  {escape(t.source)}[/dim]")
    for name in ("lead", "date", "time", "place", "published", "url"):
        if getattr(t, name):
            out.print(f"  {name}: {escape(str(getattr(t, name)))}")
    for name in ("geography", "topics", "persons", "sections"):
        if getattr(t, name):
            out.print(f"  {name}: {escape('; '.join(getattr(t, name)))}")
    for u in t.utterances:
        if u.label:
            who = f"{u.label}" + (f" ({u.note})" if u.note else "")
            canon = f" [dim]= {u.speaker}" + (f", {u.role}" if u.role else "") + "[/dim]"
            out.print(
                f"  [cyan]#{u.position} {escape(who)}[/cyan]{canon}: {escape(_short(u.text))}"
            )
        else:
            out.print(f"  [dim]#{u.position} (narrative)[/dim] {escape(_short(u.text))}")
    out.print()


def _short(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--threads", type=int, default=8, show_default=True)
@index_dir_option
def serve_cmd(host: str, port: int, threads: int, index_dir: Path | None) -> None:
    """Serve the search site (building the index from seeds/ first if there is none)."""
    import waitress

    from web import create_app

    root = location.index_root(index_dir)
    if location.live_generation(root) is None:
        err.print(f"No index at {root} yet: indexing {DEFAULT_SEEDS} first.")
        try:
            # Two writer processes: the demo corpus builds in well under the 15 s a first
            # visit should wait (measured in the README's "Demo corpus" section).
            procs = min(2, os.cpu_count() or 1)
            print_report(run_reindex([DEFAULT_SEEDS], root, False, procs), root)
        except (NothingIndexed, location.IndexLocked) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            sys.exit(1)
    app = create_app({"INDEX_DIR": str(root)})
    out.print(f"Serving on http://{host}:{port}/  (index: {root}; Ctrl+C to stop)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="transcripts")


if __name__ == "__main__":
    main()
