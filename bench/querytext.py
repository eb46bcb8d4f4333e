"""The workload's query language as a small tree, so each peer gets the same meaning.

Our engine parses queries with Whoosh; the peers have their own syntaxes (FTS5's
``a NOT b``, tantivy's query objects), and tantivy's parser would even change the
meaning (OR by default, ``econ*`` read as a term). So the benchmark parses the typed
text once into this tree and each peer renders it. Covered: words (AND by default),
``"phrases"``, ``prefix*``, ``OR``, ``AND``, ``NOT x`` / ``-x`` and brackets; field
queries (``speaker:x``) are not in the workload and are rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class Unsupported(ValueError):
    """Syntax the benchmark translator does not render for the peers."""


@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class Prefix:
    text: str  # without the star


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Word | Phrase | Prefix | Not | And | Or

_TOKEN = re.compile(r'"[^"]*"|\(|\)|[^\s()"]+')


def parse(text: str) -> Node | None:
    """The tree for ``text``; None for an empty query (browse: everything matches)."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    node, rest = _sequence(tokens)
    if rest:
        raise Unsupported(f"unbalanced brackets in {text!r}")
    return node


def _sequence(tokens: list[str]) -> tuple[Node | None, list[str]]:
    items: list[Node] = []
    while tokens and tokens[0] != ")":
        if tokens[0] == "AND":
            tokens = tokens[1:]
            continue
        node, tokens = _disjunction(tokens)
        if node is not None:
            items.append(node)
    if not items:
        return None, tokens
    return (items[0] if len(items) == 1 else And(tuple(items))), tokens


def _disjunction(tokens: list[str]) -> tuple[Node | None, list[str]]:
    node, tokens = _unary(tokens)
    options = [node] if node is not None else []
    while tokens and tokens[0] == "OR":
        other, tokens = _unary(tokens[1:])
        if other is not None:
            options.append(other)
    if not options:
        return None, tokens
    return (options[0] if len(options) == 1 else Or(tuple(options))), tokens


def _unary(tokens: list[str]) -> tuple[Node | None, list[str]]:
    if not tokens:
        return None, tokens
    head = tokens[0]
    if head == "NOT":
        child, rest = _unary(tokens[1:])
        return (Not(child) if child is not None else None), rest
    if head.startswith("-") and len(head) > 1:
        child, rest = _unary([head[1:], *tokens[1:]])
        return (Not(child) if child is not None else None), rest
    if head == "(":
        node, rest = _sequence(tokens[1:])
        if not rest or rest[0] != ")":
            raise Unsupported("a '(' is never closed")
        return node, rest[1:]
    if head.startswith('"'):
        inner = head.strip('"').strip()
        return (Phrase(inner) if inner else None), tokens[1:]
    if ":" in head:
        raise Unsupported(f"field queries ({head!r}) are not translated for the peers")
    if head.endswith("*"):
        stem = head.rstrip("*")
        if not stem or "*" in stem or "?" in stem:
            raise Unsupported(f"only trailing-star prefixes are translated, not {head!r}")
        return Prefix(stem), tokens[1:]
    return Word(head), tokens[1:]


def leaves(node: Node | None, negated: bool = False):
    """(leaf, negated) pairs: peers highlight only the words a hit was found by."""
    if node is None:
        return
    if isinstance(node, Not):
        yield from leaves(node.child, not negated)
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from leaves(child, negated)
    else:
        yield node, negated
