"""The write path: read transcript files, analyse them and write the Whoosh index.

Flow: ``readers`` (one module per input format) -> ``speakers`` (canonical names)
-> ``writer`` (Whoosh documents, full and incremental builds). ``schema`` holds the
analyzers and the schema that the read path (``search``) imports as well.
"""
