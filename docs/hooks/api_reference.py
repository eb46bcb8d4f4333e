"""MkDocs hook: the JSON API reference, drawn from the OpenAPI document at build time.

``docs/api-reference.md`` is a stub holding the line ``<!-- openapi-reference -->``; on
every build this hook replaces it with Markdown made from
``transcripts.web.openapi.document()`` — the same dict the site serves at
``/api/openapi.json`` and draws at ``/api`` — so the page cannot drift from the contract.
Operations (each with a parameters table: type, limits, default, what it does; and its
responses), then the schemas with every field. Plain Markdown: no script, nothing from a
CDN. Registered under ``hooks:`` in ``mkdocs.yml``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

PLACEHOLDER = "<!-- openapi-reference -->"
PAGE = "api-reference.md"

Schema = dict[str, Any]


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Put the reference in place of the placeholder on the API reference page."""
    if page.file.src_uri != PAGE:
        return markdown
    from mkdocs.exceptions import PluginError

    if PLACEHOLDER not in markdown:
        raise PluginError(f"{PAGE} has lost its placeholder line {PLACEHOLDER}")
    from transcripts.web.openapi import document  # imported on build, not on config load

    return markdown.replace(PLACEHOLDER, render(document()))


def render(doc: Schema) -> str:
    """The whole reference as Markdown."""
    lines: list[str] = []
    info = doc.get("info", {})
    lines += [f"OpenAPI {doc.get('openapi', '')}, {info.get('title', '')} "
              f"{info.get('version', '')}.", ""]
    if info.get("summary"):
        lines += [text(info["summary"]), ""]
    if info.get("description"):
        lines += [text(info["description"]), ""]

    operations = [(path, method, op) for path, item in doc.get("paths", {}).items()
                  for method, op in item.items()]
    lines += ["## Operations", "", "| operation | what it answers |", "| --- | --- |"]
    for path, method, op in operations:
        lines.append(f"| [`{method.upper()} {path}`](#{op_anchor(op)}) | "
                     f"{cell(text(op.get('summary', '')))} |")
    lines.append("")
    for path, method, op in operations:
        lines += operation(doc, path, method, op)

    schemas = doc.get("components", {}).get("schemas", {})
    if schemas:
        lines += ["## Schemas", "",
                  "Every field is present in every answer unless marked (optional), and an "
                  "object holds no field other than those listed unless its type says "
                  "\"other fields allowed\". A field inside a nested object is written "
                  "`outer.inner`; inside the items of a list, `outer[].inner`.", ""]
        for name, schema in schemas.items():
            lines += schema_section(name, schema)
    return "\n".join(lines).rstrip() + "\n"


def operation(doc: Schema, path: str, method: str, op: Schema) -> list[str]:
    lines = [f"### `{method.upper()} {path}` {{#{op_anchor(op)}}}", ""]
    if op.get("summary"):
        lines += [text(op["summary"]) + ".", ""]
    if op.get("description"):
        lines += [text(op["description"]), ""]
    parameters = op.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | type | limits | default | what it does |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for p in parameters:
            p = resolve(doc, p)
            schema = p.get("schema", {})
            name = f"`{p['name']}`" + (" (required)" if p.get("required") else "")
            repeat = " (repeatable)" if schema.get("type") == "array" and p.get("explode") else ""
            lines.append(f"| {name} | {p.get('in', '')} | {cell(type_of(schema))}{repeat} | "
                         f"{cell(limits(schema)) or '–'} | {cell(default_of(schema))} | "
                         f"{cell(text(p.get('description', '')))} |")
        lines.append("")
    lines += ["| status | what it means | content |", "| --- | --- | --- |"]
    for status, response in op.get("responses", {}).items():
        response = resolve(doc, response)
        content = "; ".join(f"`{kind}`" + (f": {type_of(c['schema'])}" if "$ref" in
                                           c.get("schema", {}) else "")
                            for kind, c in response.get("content", {}).items())
        lines.append(f"| {status} | {cell(text(response.get('description', '')))} | "
                     f"{cell(content) or '–'} |")
    lines.append("")
    return lines


def schema_section(name: str, schema: Schema) -> list[str]:
    lines = [f"### {name} {{#{schema_anchor(name)}}}", ""]
    if schema.get("description"):
        lines += [text(schema["description"]), ""]
    rows = list(fields(schema))
    if not rows:
        return [*lines, f"{cell(type_of(schema))}.", ""]
    described = any(describe(sub) for _, sub, _ in rows)
    lines += (["| field | type | what it is |", "| --- | --- | --- |"] if described
              else ["| field | type |", "| --- | --- |"])
    for field, sub, required in rows:
        row = f"| `{field}`{'' if required else ' (optional)'} | {cell(type_of(sub))} |"
        lines.append(row + (f" {cell(text(describe(sub)))} |" if described else ""))
    lines.append("")
    return lines


def fields(schema: Schema, prefix: str = "") -> Iterator[tuple[str, Schema, bool]]:
    """(dotted name, schema, required) for every field, nested objects' fields after
    their own row."""
    required = set(schema.get("required", []))
    for field, sub in schema.get("properties", {}).items():
        name = f"{prefix}{field}"
        yield name, sub, field in required
        if sub.get("type") == "object" and "properties" in sub:
            yield from fields(sub, f"{name}.")
        items = sub.get("items", {})
        if sub.get("type") == "array" and "properties" in items:
            yield from fields(items, f"{name}[].")


def resolve(doc: Schema, item: Schema) -> Schema:
    """``item`` itself, or what its ``$ref`` points at in ``doc``."""
    ref = item.get("$ref")
    if not ref:
        return item
    target: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return dict(target)


def type_of(schema: Schema) -> str:
    """A schema as a reader says it: "list of string", "integer or empty", a link."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return f"[{name}](#{schema_anchor(name)})"
    if "anyOf" in schema:
        return " or ".join(alternative(alt) for alt in schema["anyOf"])
    if "enum" in schema:
        values = [v for v in schema["enum"] if v != ""]
        said = "one of " + ", ".join(f"`{v}`" for v in values)
        return said + (" (empty: the default)" if "" in schema["enum"] else "")
    kind = schema.get("type")
    if kind == "array":
        return "list of " + type_of(schema.get("items", {}))
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind is None:
        return "any"
    if kind == "object" and schema.get("additionalProperties") is not False:
        return "object (other fields allowed)"
    return str(kind) + (f" ({schema['format']})" if "format" in schema else "")


def alternative(alt: Schema) -> str:
    if alt.get("type") == "null":
        return "null"
    if alt.get("maxLength") == 0:
        return "empty"
    if "format" in alt and "type" not in alt:
        return str(alt["format"])
    return type_of(alt)


def limits(schema: Schema) -> str:
    """Ranges, lengths and counts, from the schema or its first alternative."""
    parts = []
    for s, what in ((schema, ""), (schema.get("items", {}), "each ")):
        if "anyOf" in s:
            s = s["anyOf"][0]
        if "minimum" in s:
            parts.append(f"{what}from {s['minimum']:,}")
        if "maximum" in s:
            parts.append(f"{what}to {s['maximum']:,}")
        if "minLength" in s:
            parts.append(f"{what}at least {characters(s['minLength'])}")
        if "maxLength" in s:
            parts.append(f"{what}up to {characters(s['maxLength'])}")
    if "maxItems" in schema:
        parts.append(f"up to {schema['maxItems']} values")
    return "; ".join(parts)


def characters(count: int) -> str:
    return f"{count:,} character" + ("" if count == 1 else "s")


def default_of(schema: Schema) -> str:
    for s in (schema, *schema.get("anyOf", [])):
        if "default" in s:
            return f"`{s['default']}`"
    return "–"


def describe(schema: Schema) -> str:
    parts = [schema.get("description", "")]
    if "format" in schema and "type" in schema:
        parts.append({"date": "YYYY-MM-DD"}.get(schema["format"], ""))
    return "; ".join(p for p in parts if p)


def op_anchor(op: Schema) -> str:
    return f"op-{op['operationId']}".lower()


def schema_anchor(name: str) -> str:
    return f"schema-{name}".lower()


def text(value: str) -> str:
    """Prose from the document, safe as Markdown: outside `code`, angle brackets and
    ampersands are shown, not taken as HTML, and stars and pipes are shown, not taken as
    emphasis or a table's columns."""
    pieces = value.split("`")
    for i in range(0, len(pieces), 2):  # the even pieces are outside backticks
        pieces[i] = (pieces[i].replace("&", "&amp;").replace("<", "&lt;")
                     .replace(">", "&gt;").replace("*", r"\*").replace("|", r"\|"))
    return "`".join(pieces)


def cell(markdown: str) -> str:
    """Markdown made safe for one table cell: on one line."""
    return " ".join(markdown.split())
