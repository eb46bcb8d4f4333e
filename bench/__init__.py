"""The search benchmark (``python -m bench``): our engine against SQLite FTS5, tantivy and
our own OpenSearch backend on one local node.

Benchmark-only code: the peers (tantivy, psutil, matplotlib) are the ``bench`` extra and
are never imported by ``index``, ``search`` or ``web``.
"""
