"""robots.txt rules, read with protego (wildcards, ``$``, longest match wins; Crawl-delay).

The standard library's ``urllib.robotparser`` applies the first matching rule and knows
no wildcards, so it would misread modern files. Rules are matched for the product token
``transcripts`` (falling back to ``*`` groups, as the file says).
"""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

PRODUCT_TOKEN = "transcripts"


@dataclass
class RobotsRules:
    parser: Protego | None  # None: the site has no robots.txt (404): everything allowed

    @classmethod
    def from_text(cls, text: str) -> RobotsRules:
        return cls(Protego.parse(text))

    @classmethod
    def allow_all(cls) -> RobotsRules:
        return cls(None)

    def allowed(self, url: str) -> bool:
        return self.parser is None or bool(self.parser.can_fetch(url, PRODUCT_TOKEN))

    def crawl_delay(self) -> float:
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(PRODUCT_TOKEN)
        return float(delay) if delay else 0.0
