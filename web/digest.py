"""An alert's digest: what is new for a search, grouped by transcript, as Markdown.

Markdown because Apprise turns it into what each target reads best: an e-mail with a
plain-text part that keeps every link and an HTML part, Slack's and Matrix's own markup,
the text itself for a JSON webhook. Every passage links to its permalink on the site
(``site_url``, where ``transcripts serve`` answers), every transcript to its page and
its original, with the credit its source asks for. Text from transcripts is escaped:
a speech that contains ``<script>`` or ``**`` reads as written and does nothing.
"""

from __future__ import annotations

import dataclasses
import html
import re
from urllib.parse import quote, urlencode

from transcripts.search.alerts import Alert, apprise_send
from transcripts.search.follow import Followed, Passage, describe
from transcripts.search.results import SearchRequest
from transcripts.web.links import query_pairs
from transcripts.web.views import long_date, plural, web_url

_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]~])")  # never at a line's start: only inline


def subject(alert: Alert, followed: Followed, test: bool = False) -> str:
    count = plural(followed.total, "new passage")
    return (f"{'[test] ' if test else ''}Transcripts alert “{alert.name}”: {count} for "
            f"{describe(alert.request)}")



def send(url: str, alert: Alert, followed: Followed, site_url: str,
         test: bool = False) -> str | None:
    """This digest to one target through Apprise: None when it was accepted, else why
    not (``search.alerts.apprise_send``)."""
    return apprise_send(url, subject(alert, followed, test), body(alert, followed, site_url,
                                                                  test))

def body(alert: Alert, followed: Followed, site_url: str, test: bool = False) -> str:
    site = site_url.rstrip("/")
    req = alert.request
    lines = []
    if test:
        lines += ["*A test of this alert: the newest passages it matches, whenever they "
                  "were indexed. Nothing is marked as sent.*", ""]
    shown = len(followed.passages)
    lines.append(
        f"{plural(followed.total, 'new passage')} in "
        f"{plural(followed.transcripts, 'transcript')} match{'es' if followed.total == 1 else ''} "
        f"the search {text(describe(req))}"
        + (f"; the newest {shown:,} are below." if shown < followed.total else ".")
    )
    for passages in _by_transcript(followed.passages):
        first = passages[0]
        lines += ["", f"## [{text(first.title or first.transcript_id)}]"
                      f"({transcript_link(site, first, req.q)})"]
        about = [x for x in (long_date(first.date), first.credit) if x]
        original = f" — [original page]({_safe(web_url(first.url))})" if web_url(first.url) \
            else ""
        lines.append(f"*{text(' · '.join(about))}*" + original)
        lines.append("")
        for p in passages:
            who = p.speaker or p.label
            said = f"**{text(who)}**" + (f" ({text(p.role)})" if p.role else "") + ": " if who \
                else ""
            lines.append(f"- {said}{marked(p.snippet)}  ")
            lines.append(f"  <{transcript_link(site, p, req.q, p.position)}>")
    lines += [
        "",
        "---",
        f"Every passage of this search, newest first: <{search_link(site, req)}>  ",
        f"Follow it in a feed reader: <{site}/feed?{urlencode(query_pairs(req))}>  ",
        f"Sent by `transcripts alerts run` for the alert “{text(alert.name)}”; the operator "
        f"stops it with `transcripts alerts remove {alert.name}`.",
    ]
    return "\n".join(lines) + "\n"


def _by_transcript(passages: list[Passage]) -> list[list[Passage]]:
    """In the order given (newest first), each transcript's passages together."""
    groups: dict[str, list[Passage]] = {}
    for p in passages:
        groups.setdefault(p.transcript_id, []).append(p)
    return list(groups.values())


def transcript_link(site: str, p: Passage, q: str, position: int | None = None) -> str:
    """The transcript page with the search's words marked, at the passage when given
    (``web.links.transcript_url`` makes the same on the site)."""
    url = f"{site}/t/{quote(p.transcript_id, safe='')}"
    if q:
        url += "?" + urlencode({"q": q})
    return url + (f"#u{position}" if position is not None else "")


def search_link(site: str, req: SearchRequest) -> str:
    return f"{site}/?{urlencode(query_pairs(dataclasses.replace(req, sort='newest')))}"


def text(value: str) -> str:
    """Plain text as Markdown that shows it as written: HTML's specials as entities (a
    transcript's ``<b>`` must not reach an HTML part as markup), Markdown's escaped."""
    value = html.escape(_CONTROL.sub("", value), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", value))


def marked(snippet_html: str) -> str:
    """A snippet (escaped HTML with <mark>) as Markdown with the matches in bold."""
    out = []
    pos = 0
    for m in _MARK.finditer(snippet_html):
        out.append(text(html.unescape(snippet_html[pos:m.start()])))
        out.append(f"**{text(html.unescape(m.group(1)))}**")
        pos = m.end()
    out.append(text(html.unescape(snippet_html[pos:])))
    return "".join(out)


def _safe(url: str) -> str:
    """A URL that cannot end a Markdown link early."""
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
