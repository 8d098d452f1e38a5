"""Checks one HTTP request against the request schemas of an OpenAPI document (openapi-core).

Shared by the Partners Hub stand-in (every request it receives) and `tests/check_vendor_requests.py`
(every request recorded during a test run, against ../shared's original document).

What is checked: the path and method exist; query parameters have the documented types, ranges and
enums, and none is undocumented; a required body is there, is JSON and matches its schema (required
fields, types, enums, formats, `additionalProperties: false`). Two quirks of openapi-core are
handled here: an absent query parameter whose schema has `default: null` is not an error (openapi-core
validates the default), and the document's own schema errors (a `default: null` against a `oneOf`)
do not stop it loading (spec validation is off; the request schemas are what matter).

Authentication is not checked from the document: the desk sends `api-key` on every call (the
stand-in checks it), while the document lists only the JWT bearer on the locale catalogs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import Draft202012Validator
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.validation.request.exceptions import InvalidParameter
from openapi_core.validation.request.validators import (
    V31RequestBodyValidator,
    V31RequestParametersValidator,
)
from openapi_core.validation.response.validators import V31ResponseDataValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict

DOCUMENT = Path(__file__).resolve().parents[1] / "data" / "partners-api.json"


@dataclass
class _Request:
    """The shape openapi-core reads (its `Request` protocol)."""

    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    content_type: str
    body: bytes | None

    @property
    def full_url_pattern(self) -> str:
        return self.host_url + self.path


@dataclass(frozen=True)
class Problem:
    """One way a request breaks the document: `field` is the body property or query parameter."""

    field: str
    message: str


class RequestChecker:
    def __init__(self, document: Path = DOCUMENT) -> None:
        self.spec_dict: dict[str, Any] = json.loads(document.read_text(encoding="utf-8"))
        self.api = OpenAPI.from_dict(self.spec_dict, config=Config(spec_validator_cls=None))
        self.server = str(self.spec_dict["servers"][0]["url"]).rstrip("/")

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        return self.match(method, path)[0]

    def match(self, method: str, path: str) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """The document's operation for a concrete path and its path parameters (`{snapshotId}`
        matches one non-empty segment)."""
        parts = path.rstrip("/").split("/")
        for template, item in self.spec_dict["paths"].items():
            pattern = template.rstrip("/").split("/")
            if template.endswith("/") != path.endswith("/") or len(pattern) != len(parts):
                continue
            if all(
                p == q or (p.startswith("{") and p.endswith("}") and q)
                for p, q in zip(pattern, parts, strict=True)
            ):
                found = item.get(method.lower())
                values = {p[1:-1]: q for p, q in zip(pattern, parts, strict=True) if p.startswith("{")}
                return (found if isinstance(found, dict) else None), values
        return None, {}

    def check(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | str = "",
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> list[Problem]:
        pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else list(query)
        operation, path_values = self.match(method, path)
        if operation is None:
            return [Problem("", f"{method.upper()} {path} is not in the document")]
        documented = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        problems = [
            Problem(name, f"query parameter {name!r} is not documented")
            for name, _ in pairs
            if name not in documented
        ]
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path" and parameter["name"] in path_values:
                value = path_values[parameter["name"]]
                for schema_error in Draft202012Validator(parameter.get("schema", {})).iter_errors(value):
                    problems.append(Problem(parameter["name"], f"path parameter: {schema_error.message}"))
        if "requestBody" not in operation and body:
            problems.append(Problem("", "this call takes no body"))
        request = _Request(
            host_url=self.server,
            path=path,
            method=method.lower(),
            parameters=RequestParameters(
                query=ImmutableMultiDict(pairs),
                header=Headers(),
                cookie=ImmutableMultiDict(),
            ),
            content_type=content_type,
            body=body if "requestBody" in operation else None,
        )
        given = {name for name, _ in pairs}
        for validator in (V31RequestParametersValidator, V31RequestBodyValidator):
            for error in validator(self.api.spec).iter_errors(request):
                if isinstance(error, InvalidParameter) and error.name not in given:
                    continue  # openapi-core checked a `default: null` of an absent parameter
                problems += _problems(error)
        return problems

    def check_answer(
        self, method: str, path: str, status: int, body: bytes, content_type: str = "application/json"
    ) -> list[Problem]:
        """The stand-in's own answer against the document's response schema for that status (a status
        the document does not list for the call, such as 429 or 500, is not checked)."""
        operation, _ = self.match(method, path)
        if operation is None or str(status) not in operation.get("responses", {}):
            return []
        request = _Request(
            host_url=self.server,
            path=path,
            method=method.lower(),
            parameters=RequestParameters(
                query=ImmutableMultiDict(), header=Headers(), cookie=ImmutableMultiDict()
            ),
            content_type="application/json",
            body=None,
        )
        answer = _Response(data=body, status_code=status, content_type=content_type, headers=Headers())
        validator = V31ResponseDataValidator(self.api.spec)
        return [p for error in validator.iter_errors(request, answer) for p in _problems(error)]


@dataclass
class _Response:
    data: bytes
    status_code: int
    content_type: str
    headers: Headers


def _problems(error: Exception) -> list[Problem]:
    if isinstance(error, PathError):
        return [Problem("", str(error))]
    name = str(getattr(error, "name", "") or "")
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None)
    if schema_errors:
        found = []
        for schema_error in schema_errors:
            where = ".".join(str(p) for p in schema_error.absolute_path)
            named = re.search(
                r"\('([^']+)' was unexpected\)|^'([^']+)' is a required property", schema_error.message
            )
            if named:
                where = ".".join([*filter(None, [where]), named.group(1) or named.group(2)])
            found.append(Problem(name or where, f"{type(error).__name__}: {schema_error.message}"))
        return found
    return [Problem(name, f"{type(error).__name__}: {cause or error}")]


@cache
def checker(document: Path = DOCUMENT) -> RequestChecker:
    """One checker per document (loading one takes a moment)."""
    return RequestChecker(document)
