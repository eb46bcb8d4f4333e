"""What the figures were measured on: timings mean little without the machine beside them."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> float:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:  # a missing distribution must not stop the benchmark
        return "?"


def describe() -> dict:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "ram_gb": _ram_gb(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "tantivy": _version("tantivy"),
        "whoosh": _version("whoosh-reloaded"),
        "opensearch": _opensearch_version(),
        "opensearch_py": _version("opensearch-py"),
    }


def _opensearch_version() -> str:
    from bench.opensearch_cluster import VERSION

    return VERSION
