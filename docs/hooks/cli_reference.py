"""MkDocs hook: tidy the command-line reference that mkdocs-click draws in ``cli.md``.

mkdocs-click writes each command's help as Markdown as it stands, so three things in it
read wrongly on a web page; this hook mends them in the page's HTML, and does nothing
where there is nothing to mend:

- Help text such as ``/t/<id>#u<n>`` holds angle brackets, which Markdown passes on as
  HTML tags, so the browser hides them: any tag that is not an HTML element is shown as
  text.
- With click 8.3 and later an option without a default has ``Sentinel.UNSET`` as its
  default, which mkdocs-click 0.9 prints (mkdocs/mkdocs-click#95): a flag's is shown as
  ``False`` and any other as ``None``, as mkdocs-click shows them with older click.
- Defaults computed from where the checkout is (``--index-dir``, ``fetch --to``) name the
  folder the manual was built in: they are shown relative to the checkout
  (``instance/index``).

Registered under ``hooks:`` in ``mkdocs.yml``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

PAGE = "cli.md"

# Every element Python-Markdown, its extensions here and mkdocs-click write.
HTML_ELEMENTS = frozenset({
    "a", "abbr", "article", "aside", "b", "blockquote", "br", "caption", "code", "col",
    "colgroup", "dd", "del", "details", "div", "dl", "dt", "em", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd", "li",
    "mark", "nav", "ol", "p", "pre", "q", "s", "samp", "section", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul", "var",
})
TAG = re.compile(r"<(/?)([A-Za-z][\w.-]*)([^<>]*)>")
ROW = re.compile(r"<tr>.*?</tr>", re.S)
UNSET = "<code>Sentinel.UNSET</code>"


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    if page.file.src_uri != PAGE:
        return html
    html = TAG.sub(_tag_or_text, html)
    html = ROW.sub(_default_shown, html)
    root = str(Path(config["config_file_path"]).resolve().parent)
    return html.replace(root + "/", "")


def _tag_or_text(match: re.Match[str]) -> str:
    if match.group(2).lower() in HTML_ELEMENTS:
        return match.group(0)
    return match.group(0).replace("<", "&lt;").replace(">", "&gt;")


def _default_shown(match: re.Match[str]) -> str:
    row = match.group(0)
    if UNSET not in row:
        return row
    return row.replace(UNSET, "<code>False</code>" if "<td>boolean</td>" in row else "None")
