"""The read path: parse a query, filter, count facets, rank, group and highlight.

``engine.search(index, request)`` is the one entry point the CLI and the web site share;
nothing here writes the index.
"""
