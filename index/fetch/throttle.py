"""How long to wait before the next request.

One rule keeps the crawl polite: the next request starts no sooner than ``delay``
seconds (plus up to ``jitter`` of it, at random) after the previous response ended.
The delay starts at the minimum (``--delay``, raised to robots.txt's Crawl-delay) and
adapts like Scrapy's AutoThrottle: an answer slower than the delay stretches it to the
answer's time (at most one request's worth of load at a time), an error doubles the
delay, and a success only brings it back halfway towards the target, so the crawl is
never faster after an error than before it. A Retry-After or backoff pause is a hard
"not before" time on top.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transcripts.index.fetch.clock import Clock

ERROR_FLOOR = 1.0  # after an error the delay is at least this, even with --delay 0


@dataclass
class Throttle:
    clock: Clock
    min_delay: float = 2.0
    max_delay: float = 60.0
    jitter: float = 0.25  # fraction of the delay added at random
    delay: float = field(init=False)
    waited: float = 0.0  # seconds spent sleeping, for the summary
    _last_end: float | None = None
    _not_before: float = 0.0

    def __post_init__(self) -> None:
        self.delay = self.min_delay

    def raise_floor(self, seconds: float) -> None:
        """robots.txt's Crawl-delay: never go faster than the site asks."""
        self.min_delay = max(self.min_delay, seconds)
        self.max_delay = max(self.max_delay, self.min_delay)
        self.delay = max(self.delay, self.min_delay)

    def wait(self) -> float:
        """Sleep until the next request may start; returns the seconds slept."""
        now = self.clock.monotonic()
        target = self._not_before
        if self._last_end is not None:
            gap = self.delay * (1.0 + self.clock.rng.uniform(0.0, self.jitter))
            target = max(target, self._last_end + gap)
        pause = target - now
        if pause <= 0:
            return 0.0
        self.clock.sleep(pause)
        self.waited += pause
        return pause

    def record(self, ok: bool, latency: float) -> None:
        """After each response (or failure): adapt the delay.

        ``ok`` is a normal answer (200, 304, 404); anything else is an error and never
        lowers the delay.
        """
        self._last_end = self.clock.monotonic()
        if ok:
            # A slow answer slows the crawl (a busy site); with --delay 0 (a mirror of
            # your own) only errors do.
            target = max(self.min_delay, latency) if self.min_delay > 0 else 0.0
            self.delay = max(target, (self.delay + target) / 2)
        else:
            self.delay = max(self.delay * 2, self.min_delay, ERROR_FLOOR)
        self.delay = min(self.delay, self.max_delay)

    def pause(self, seconds: float) -> None:
        """No request before ``seconds`` from now (Retry-After, backoff)."""
        self._not_before = max(self._not_before, self.clock.monotonic() + seconds)
