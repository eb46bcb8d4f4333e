"""One reindex in a process of its own, so its peak memory can be read apart from ours.

Run as ``python -m bench.build_child --root DIR [--full] [--procs N] PATH...``; prints
one JSON line with the writer's report and the peak RSS of this process and of its
writer subprocesses. The ``__main__`` guard matters: the multiprocess writer forks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from pathlib import Path

# What each part of a Whoosh segment holds (W3 codec: sub-files of the compound .seg).
SEGMENT_PARTS = {"pst": "postings", "trm": "term index", "_stored.col": "stored fields"}


def index_parts(generation: Path) -> dict[str, int]:
    """Bytes per part of the generation: Whoosh's postings, term index, stored fields and
    columns (sub-files of each compound segment), and our tables (``index.tables``)."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.structfile import StructFile

    parts: dict[str, int] = {}

    def add(name: str, n: int) -> None:
        parts[name] = parts.get(name, 0) + n

    for path in sorted(generation.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".seg":
            with open(path, "rb") as fh:
                storage = CompoundStorage(StructFile(fh), use_mmap=False)
                for name, info in storage._dir.items():
                    ext = name.split(".", 1)[1] if "." in name else name
                    add("whoosh " + SEGMENT_PARTS.get(ext, "columns"), info["length"])
                rest = path.stat().st_size - sum(i["length"] for i in storage._dir.values())
                add("whoosh columns", rest)  # the compound file's own directory
        elif path.parent.name == "tables":
            if path.name.startswith("exact_token_sep"):
                part = "tables: token offsets (concordance, snippets)"
            elif path.name.startswith("exact_token"):
                part = "tables: phrase token stream"
            elif path.name.startswith(("exact_", "text_")):
                part = "tables: word postings and vocabularies"
            else:
                part = "tables: documents, facets, lengths"
            add(part, path.stat().st_size)
        else:
            add("manifest and table of contents", path.stat().st_size)
    return parts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.build_child")
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--procs", type=int, default=2)
    args = ap.parse_args(argv)

    started = time.perf_counter()
    from transcripts.index import location
    from transcripts.index.writer import reindex

    imported = time.perf_counter()
    report = reindex(args.paths, args.root, full=args.full, procs=args.procs)
    done = time.perf_counter()
    live = location.live_generation(args.root)
    # Others edit index/ while benchmarks run: the digest shows which code was timed.
    code = hashlib.sha256()
    for src in sorted((Path(__file__).resolve().parents[1] / "index").rglob("*.py")):
        code.update(src.read_bytes())
    parts = index_parts(live) if live else {}
    size = sum(parts.values())
    # ru_maxrss is in KiB on Linux; RUSAGE_CHILDREN is the largest single child.
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    json.dump({
        "seconds": round(done - imported, 3),
        "import_seconds": round(imported - started, 3),
        "writer_seconds": round(report.seconds, 3),
        "full": report.full,
        "files_seen": report.files_seen,
        "files_read": report.files_read,
        "transcripts_indexed": report.transcripts_indexed,
        "utterances_indexed": report.utterances_indexed,
        "transcripts_total": report.transcripts_total,
        "skipped": len(report.skipped),
        "index_bytes": size,
        "index_parts": parts,
        "generation": str(live) if live else "",
        "maxrss_self_mb": round(self_kb / 1024, 1),
        "maxrss_largest_child_mb": round(child_kb / 1024, 1),
        "index_code_sha256": code.hexdigest()[:12],
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
