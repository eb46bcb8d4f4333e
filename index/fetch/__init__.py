"""Getting the transcripts: a polite, resumable fetcher for en.kremlin.ru event pages.

Small modules, one concept each, composed by ``run``:

* ``clock``: the time source and sleep, injected so tests run on a fake clock;
* ``throttle``: the gap between requests (minimum delay, jitter, AutoThrottle-style
  slowing after errors, Retry-After pauses);
* ``client``: one HTTP connection with the project's User-Agent and timeouts, every
  failure turned into a one-line reason;
* ``robots``: robots.txt rules (protego: wildcards, longest match, Crawl-delay);
* ``discovery``: event-page links from the Atom feed and the listing pages;
* ``state``: the SQLite state beside the corpus (per URL status, validators, hash) and
  the atomic writing of pages into the corpus folder;
* ``run``: the orchestration behind ``transcripts fetch``.

Nothing here renders: the CLI shows the progress and the ``FetchReport``.
"""

from transcripts.index.fetch.run import FetchOptions, FetchReport, run_fetch

__all__ = ["FetchOptions", "FetchReport", "run_fetch"]
