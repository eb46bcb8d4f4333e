"""A saved en.kremlin.ru event page, read from its own markup.

The markup says outright what the text version leaves to guessing: the title is the
``h1.entry-title``, the lead ``.read__lead``, date/time/place sit in ``.read__meta``,
the tag lists in ``.read__tagscol`` (an ``h3`` heading, ``li`` values), and a speaker
label is the bold run that opens a paragraph and ends with a colon
(``<b>Vladimir Putin:</b> words``, a note in ``<i>(retranslated)</i>``). Photo sliders,
"See also" boxes, videos and tooltips are marked ``masha-ignore`` and are not text.

Bold that does not end in the colon ("<b>Vladimir Putin: Right.</b>") is not a label:
the page did not mark one, and the record follows the page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from transcripts.index.model import Transcript
from transcripts.index.readers.base import (
    MAX_NOTE_WORDS,
    ReadError,
    build_utterances,
    decode_bytes,
    finish,
    kremlin_url,
)

_VOID = {"br", "img", "meta", "link", "input", "hr", "source", "track", "wbr", "col", "area"}
_PARAGRAPH_TAGS = {"p", "blockquote", "li", "h2", "h3", "h4", "h5", "h6", "div"}
_STARS = "* * *"
_BREAK = "\x1e"  # stands for <br>; newlines in the source are only whitespace
_NOTE = re.compile(r"\(\s*(.*?)\s*\)")
_ID_IN_URL = re.compile(r"/(\d+)/?$")

# Segment kinds inside a body paragraph.
BOLD, ITALIC, PLAIN, LINK = "b", "i", "", "a"


def _norm(text: str) -> str:
    return " ".join(text.split())


class _PageParser(HTMLParser):
    """Collects the page's fields as it streams; the body as paragraphs of styled segments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []  # (tag, class)
        self.fields: dict[str, str] = {}
        self.og_url = ""
        self.date = ""
        self.tags: dict[str, list[str]] = {}
        self.sections: list[str] = []
        self.published = ""
        self.paragraphs: list[list[tuple[str, str]]] = []
        self._target: str | None = None  # which header field text goes to
        self._target_depth = 0
        self._ignore_depth = 0  # > 0 inside a masha-ignore subtree of the body
        self._in_body = False
        self._body_depth = 0
        self._meta_depth = 0  # > 0 inside the tags and publication status block
        self._paragraph: list[tuple[str, str]] | None = None
        self._bold = 0
        self._italic = 0
        self._links: list[bool] = []  # per open <a>: opened outside bold
        self._tag_heading: str | None = None
        self._status_line = ""
        self._in_status = False
        self._status_links: list[str] = []
        self._buffer = ""
        self.closed = False

    # -- structure -------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        cls = a.get("class", "")
        if tag == "meta" and a.get("property") == "og:url":
            self.og_url = a.get("content", "")
        if tag in _VOID:
            if tag == "br" and self._paragraph is not None:
                self._add_text(_BREAK)
            return
        self.stack.append((tag, cls))
        depth = len(self.stack)
        if self._ignore_depth or (self._in_body and "masha-ignore" in cls and not self._meta):
            self._ignore_depth = self._ignore_depth or depth
            return
        if tag == "h1" and "entry-title" in cls:
            self._start_field("title", depth)
        elif "read__lead" in cls:
            self._start_field("lead", depth)
        elif tag == "time" and "read__published" in cls:
            self.date = a.get("datetime", "")
        elif "read__time" in cls:
            self._start_field("time", depth)
        elif "read__place" in cls:
            self._start_field("place", depth)
        elif "entry-content" in cls:
            self._in_body, self._body_depth = True, depth
        elif "read__bottommeta" in cls:
            self._meta_depth = depth
        elif self._meta and tag == "h3":
            self._start_field("h3", depth)
        elif self._meta and tag == "li" and self._tag_heading:
            self._start_field("tag", depth)
        elif self._meta and tag == "time":
            self._start_field("published", depth)
        elif self._meta and tag == "p":
            self._in_status, self._status_line, self._status_links = True, "", []
        elif self._in_body and not self._meta:
            if tag in ("b", "strong"):
                self._bold += 1
            elif tag in ("i", "em"):
                self._italic += 1
            elif tag == "a":
                self._links.append(self._bold == 0)
            elif tag in _PARAGRAPH_TAGS:
                self._close_paragraph()
                self._paragraph = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if tag == "html":
            self.closed = True
        # Pop to the matching open tag; a stray end tag with no opener is ignored.
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k][0] == tag:
                break
        else:
            return
        while len(self.stack) > k:
            depth = len(self.stack)
            t, _ = self.stack.pop()
            self._end(t, depth)

    def _end(self, tag: str, depth: int) -> None:
        if self._ignore_depth:
            if depth == self._ignore_depth:
                self._ignore_depth = 0
            return
        if self._target and depth == self._target_depth:
            self._finish_field()
        if self._meta and depth == self._meta_depth:
            self._meta_depth = 0
        elif self._in_body and depth == self._body_depth:
            self._close_paragraph()
            self._in_body = False
        elif self._meta and tag == "p" and self._in_status:
            self._read_status_line()
        elif self._in_body and not self._meta:
            if tag in ("b", "strong"):
                self._bold = max(0, self._bold - 1)
            elif tag in ("i", "em"):
                self._italic = max(0, self._italic - 1)
            elif tag == "a" and self._links:
                self._links.pop()
            elif tag in _PARAGRAPH_TAGS:
                self._close_paragraph()

    @property
    def _meta(self) -> bool:
        return bool(self._meta_depth)

    # -- text ------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self._ignore_depth:
            return
        if self._target:
            # Text nodes of a header field are separate words to the site ("90 th").
            self._buffer += " " + data
        elif self._in_status:
            self._status_line += data
            if data.strip() and self.stack and self.stack[-1][0] == "a":
                self._status_links.append(_norm(data))
        elif self._in_body and not self._meta:
            self._add_text(data)

    def _add_text(self, data: str) -> None:
        if self._paragraph is None:
            if not data.strip():
                return
            self._paragraph = []
        # Bold inside a plain link (a person tag) is the link's styling, not a label.
        if any(self._links):
            kind = LINK
        else:
            kind = BOLD if self._bold else ITALIC if self._italic else PLAIN
        self._paragraph.append((kind, data))

    def _close_paragraph(self) -> None:
        if self._paragraph:
            self.paragraphs.append(self._paragraph)
        self._paragraph = None

    def _start_field(self, name: str, depth: int) -> None:
        self._target, self._target_depth, self._buffer = name, depth, ""

    def _finish_field(self) -> None:
        name, value = self._target, _norm(self._buffer)
        self._target = None
        if name == "h3":
            self._tag_heading = value
            self.tags.setdefault(value, [])
        elif name == "tag":
            if self._tag_heading and value:
                self.tags[self._tag_heading].append(value)
        elif name == "published":
            self.published = value
        elif name:
            self.fields[name] = value

    def _read_status_line(self) -> None:
        """Only the "Published in sections:" paragraph lists sections (as links)."""
        self._in_status = False
        if _norm(self._status_line).startswith("Published in section"):
            self.sections = self._status_links


def _split_paragraph(segments: list[tuple[str, str]]) -> list[tuple[str | None, str, str]]:
    """A paragraph -> (label, note, text) lines; label None unless it opens with a bold label.

    ``<br>`` breaks inside a paragraph become separate lines, as in the text version.
    """
    label, note, rest = _leading_label(segments)
    text = "".join(data for _, data in rest)
    lines = [_norm(line) for line in text.split(_BREAK)]
    lines = [line for line in lines if line]
    if label is None:
        return [(None, "", line) for line in lines]
    first = lines[0] if lines else ""
    return [(label, note, first)] + [(None, "", line) for line in lines[1:]]


def _leading_label(
    segments: list[tuple[str, str]],
) -> tuple[str | None, str, list[tuple[str, str]]]:
    """(label, note, remaining segments) when the paragraph opens with a bold label.

    Up to the first colon every visible character must be bold, except one bracketed
    note after the bold run ("<i>(retranslated)</i>", "(<i>retranslated</i>)"). Bold
    that runs on past the colon ("<b>Vladimir Putin: Right.</b>") is not a label.
    """
    none = (None, "", segments)
    text = "".join(data for _, data in segments)
    kinds = "".join((kind or "p")[0] * len(data) for kind, data in segments)
    colon = text.find(":")
    if colon < 0:
        return none
    head, head_kinds = text[:colon], kinds[:colon]
    after = len(text) - len(text[colon + 1 :].lstrip())
    if after < len(text) and kinds[after] == BOLD:
        return none
    bold_end = max((i for i, k in enumerate(head_kinds) if k == BOLD), default=-1) + 1
    pairs = zip(head[:bold_end], head_kinds[:bold_end], strict=True)
    if any(k != BOLD and not c.isspace() for c, k in pairs):
        return none
    # The site joins a label's text pieces with spaces ("Kirill Kle Y MENOV", "58 th").
    pieces, offset = [], 0
    for kind, data in segments:
        if offset >= bold_end:
            break
        if kind == BOLD:
            pieces.append(data[: bold_end - offset])
        offset += len(data)
    label = _norm(" ".join(pieces))
    if not label or label == _STARS:
        return none
    note = ""
    tail = head[bold_end:].strip()
    if tail:
        m = _NOTE.fullmatch(tail)
        if not m or len(m.group(1).split()) > MAX_NOTE_WORDS:
            return none  # a long aside ("to acting director of ...") is narrative
        note = m.group(1)
    return label, note, [(PLAIN, text[colon + 1 :])]


def _body_blocks(
    paragraphs: list[list[tuple[str, str]]],
) -> list[tuple[str | None, str, list[str]]]:
    blocks: list[tuple[str | None, str, list[str]]] = []
    current: list[str] | None = None
    for segments in paragraphs:
        for label, note, text in _split_paragraph(segments):
            if label is None and text == _STARS:
                current = None
            elif label is not None:
                current = [text] if text else []
                blocks.append((label, note, current))
            else:
                if current is None:
                    current = []
                    blocks.append((None, "", current))
                current.append(text)
    return blocks


def parse_html(html: str, source: str = "", id: str = "") -> Transcript:
    """One saved page -> a Transcript, the same record its text version gives."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    if not parser.closed:
        raise ReadError("HTML cut off: no closing </html>")
    f = parser.fields
    if not f.get("title"):
        raise ReadError("not an event page: no h1.entry-title")
    m = _ID_IN_URL.search(parser.og_url)
    page_id = m.group(1) if m else id
    t = Transcript(
        id=page_id,
        title=f["title"],
        lead=f.get("lead", ""),
        date=parser.date,
        time=f.get("time", ""),
        place=f.get("place", ""),
        geography=parser.tags.get("Geography", []),
        topics=parser.tags.get("Topics", []),
        persons=parser.tags.get("Persons", []),
        sections=parser.sections,
        published=parser.published,
        url=parser.og_url or kremlin_url(page_id),
    )
    t.utterances = build_utterances(_body_blocks(parser.paragraphs))
    return finish(t, source)


def read(path: Path, data: bytes | None = None) -> list[Transcript]:
    """The page in ``path`` (its bytes in ``data`` when already loaded)."""
    path = Path(path)
    html = decode_bytes(path.read_bytes() if data is None else data)
    return [parse_html(html, source=str(path), id=path.stem)]
