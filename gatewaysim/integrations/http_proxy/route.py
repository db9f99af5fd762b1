"""A method's own HTTP_PROXY integration (spec 18.5): where the request goes and what it carries.

* The ``uri`` gets its ``${stageVariables.x}`` filled (anywhere; undefined: empty), then its
  ``{name}`` placeholders from the ``integration.request.path.name`` mappings (path and query
  only: the config refuses a placeholder in the host).
* The backend's query string is the ``uri``'s own, then the client's, then each
  ``integration.request.querystring.name`` mapping (a mapping whose source is absent adds nothing).
* Each ``integration.request.header.name`` mapping replaces the client's header of that name.
* ``httpMethod: ANY`` sends the request's own verb; another verb is sent as it is.

SECURITY: a value that did not come from the request's (already normalised) path is
percent-encoded whole before it lands in the path, so a header cannot add segments or ``..``;
in the query every value is encoded so it cannot add parameters (``&``, ``=``, ``#``).
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple
from urllib.parse import quote

from gatewaysim.config.integration import Integration
from gatewaysim.config.integration_values import METHOD_VALUE, URI_PLACEHOLDER
from gatewaysim.integrations.mapping import MappingSource, stage_variables_in

__all__ = ["BackendTarget", "backend_target"]

_HEADER: Final = "integration.request.header."
_QUERY: Final = "integration.request.querystring."
_PATH: Final = "integration.request.path."
_QUERY_UNSAFE: Final = re.compile(r"[&=+#\s]")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class BackendTarget(NamedTuple):
    """Where one request goes: ``base`` (scheme and authority), raw path and query, verb, header mappings."""

    base: str
    path: str
    query_string: str
    method: str
    headers: tuple[tuple[str, str], ...]


def _from_path(expression: str) -> bool:
    found = METHOD_VALUE.fullmatch(expression)
    return found is not None and found[1] == "path"


def _in_path(value: str, expression: str) -> str:
    # SECURITY: only the normalised request path may bring `/` (a greedy `{proxy+}`) into the path
    return value if _from_path(expression) else quote(value, safe="")


def _in_query(value: str, expression: str) -> str:
    if _from_path(expression):  # already percent-encoded: only the query's own delimiters are escaped
        return _QUERY_UNSAFE.sub(lambda m: f"%{ord(m[0]):02X}", value)
    return quote(value, safe="")


def _fill(part: str, integration: Integration, source: MappingSource, query: bool) -> str:
    def value(match: re.Match[str]) -> str:
        expression = integration.request_parameters.get(_PATH + match[1], "")
        found = source.value(expression) if expression else None
        if found is None:
            return ""
        return _in_query(found, expression) if query else _in_path(found, expression)

    return URI_PLACEHOLDER.sub(value, part)


def backend_target(integration: Integration, source: MappingSource, client_query: str, verb: str) -> BackendTarget:
    """The backend target of one request to a method with ``integration`` (module docstring)."""
    uri = stage_variables_in(integration.uri or "", source.stage_variables)
    scheme, _, rest = uri.partition("://")
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, remainder = rest[:cut], rest[cut:]
    raw_path, _, uri_query = remainder.partition("?")
    path = _fill(raw_path, integration, source, query=False) or "/"
    queries = [_fill(uri_query, integration, source, query=True), client_query]
    headers: list[tuple[str, str]] = []
    for key, expression in integration.request_parameters.items():
        if key.startswith(_QUERY):
            found = source.value(expression)
            if found is not None:
                queries.append(f"{quote(key[len(_QUERY) :], safe='')}={_in_query(found, expression)}")
        elif key.startswith(_HEADER):
            found = source.value(expression)
            if found is not None and not _CONTROL.search(found):  # SECURITY: a decoded %0d%0a splits no header
                headers.append((key[len(_HEADER) :], found))
    method = verb if integration.http_method == "ANY" else integration.http_method
    query_string = "&".join(q for q in queries if q)
    return BackendTarget(f"{scheme}://{authority}", path, query_string, method, tuple(headers))
