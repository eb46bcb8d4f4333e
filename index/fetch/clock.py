"""The time source and the sleep, as one injectable object.

Real runs use the system clocks; tests pass a fake clock whose ``sleep`` only advances
the time, so a crawl with 2-second gaps and Retry-After pauses runs in milliseconds
while every request still goes over a real socket.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Clock:
    monotonic: Callable[[], float] = time.monotonic  # for gaps between requests
    wall: Callable[[], float] = time.time  # for timestamps kept in the state
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)  # the jitter


def iso(epoch: float) -> str:
    """Epoch seconds as ISO 8601 UTC to the second: readable in the state db, sortable."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
