"""The index on an OpenSearch cluster: connection, mapping and writer.

The embedded index (``index.writer``) stays the default; this package writes the same
documents, analysed by the same Python analyzers, into an OpenSearch index behind an
alias, for a corpus bigger than one machine. ``search.opensearch_engine`` reads it.
"""
