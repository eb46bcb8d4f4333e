"""transcripts: full-text search over speech transcripts -- who said what, when, about
whom and where.

The repository's top-level folders are this package's parts (setuptools maps
``transcripts`` to the repository root; see docs/getting-started.md): ``index`` is the
write path, ``search`` the read path, ``web`` the site and API, ``cli`` the command,
``seeds`` the demo corpus indexed by default.
"""

__version__ = "0.2.0"
