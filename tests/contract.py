"""The JSON API's contract (``transcripts.web.openapi``) checked on every answer a test
gets: ``conftest`` makes ``ContractClient`` Flask's test client for the whole run, so
every existing API test also proves the document true, and a field added, renamed or
dropped without the document saying so fails them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker

from transcripts.web.openapi import document


@lru_cache(maxsize=1)
def _operations() -> list[tuple[re.Pattern, dict]]:
    found = []
    for path, item in document()["paths"].items():
        pattern = re.escape(path)
        pattern = pattern.replace(r"\{name\}", ".+")  # a path converter: may hold slashes
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", pattern)
        found.append((re.compile(f"^{pattern}$"), item["get"]))
    return found


def operation_of(path: str) -> dict | None:
    for pattern, operation in _operations():
        if pattern.match(path):
            return operation
    return None


def response_spec(operation: dict, status: int) -> dict | None:
    spec = operation["responses"].get(str(status))
    if spec and "$ref" in spec:
        spec = document()["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
    return spec


def check(path: str, status: int, content_type: str, body: object) -> None:
    """Raise AssertionError if this answer is not one the contract promises."""
    operation = operation_of(path)
    if operation is None or (status >= 500 and status != 503) or status == 405:
        return  # not an API operation; a 500 is its own test's business; 405: any route
    spec = response_spec(operation, status)
    assert spec is not None, f"{path} answered {status}, which the contract does not list"
    media = content_type.split(";")[0].strip()
    content = spec.get("content", {})
    assert media in content, f"{path} answered {status} as {media}; the contract says " \
        f"{sorted(content)}"
    if media != "application/json":
        return
    schema = {**content[media]["schema"], "components": document()["components"]}
    errors = sorted(Draft202012Validator(schema, format_checker=FormatChecker())
                    .iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{path} ({status}) breaks the contract: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message[:200]}" for e in errors[:5])


class ContractClient(FlaskClient):
    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        if request is not None and response.status_code != 304:
            body = response.get_json(silent=True) if response.is_json else None
            check(request.path, response.status_code, response.content_type or "", body)
        return response
