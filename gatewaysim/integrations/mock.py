"""The MOCK integration (spec 18.6): the request template names a status code, and the
integration response selected by it answers with its static headers and body.

1. The request template is chosen by the request's ``Content-Type`` (``application/json`` when
   absent). None matches: ``WHEN_NO_MATCH`` (the default) goes on without one; ``NEVER``, and
   ``WHEN_NO_TEMPLATES`` when the method has templates, answer 415 ``Unsupported Media Type``.
2. With a template, its ``statusCode`` is read leniently (``{"statusCode": 200}`` and CDK's
   ``{statusCode: 200}`` alike); none -> 500, log ``Unable to parse statusCode``. Without one,
   the default integration response answers (the one without ``selectionPattern``).
3. The integration response whose ``selectionPattern`` matches the whole status code answers,
   else the default one; neither -> 500, log ``No match for output mapping``.
4. Its ``responseParameters`` give the headers (``'static'``, ``stageVariables.x``,
   ``context.x``); its ``responseTemplates`` the body, chosen by the request's ``Accept`` (else
   ``application/json``, else the first), with ``$context.x``/``$stageVariables.x`` filled. No
   template: an empty body. ``Content-Type`` is the chosen template's type (``application/json``
   without one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, NamedTuple

from aiohttp import web
from multidict import CIMultiDict

from gatewaysim.config.integration import Integration, IntegrationResponse
from gatewaysim.integrations.mapping import MappingSource, render

__all__ = ["MockAnswer", "MockFailure", "mock_answer"]

_STATUS_CODE: Final = re.compile(r"""["']?statusCode["']?\s*:\s*["']?(\d{3})\b""")
_DEFAULT_TYPE: Final = "application/json"
_HEADER_PREFIX: Final = "method.response.header."


class MockFailure(NamedTuple):
    """Why the MOCK integration could not answer: the gateway response type and the log line."""

    response_type: str
    reason: str


class MockAnswer(NamedTuple):
    """The MOCK integration's answer."""

    status: int
    headers: CIMultiDict[str]
    body: bytes

    def response(self, extra: Mapping[str, str]) -> web.Response:
        """The client response, with ``extra`` (the request-id headers) added."""
        headers = self.headers.copy()
        headers.update(extra)
        return web.Response(status=self.status, headers=headers, body=self.body)


def _media_type(value: str | None) -> str | None:
    return value.split(";", 1)[0].strip().lower() or None if value else None


def _request_template(integration: Integration, content_type: str | None) -> str | None | MockFailure:
    templates = integration.request_templates
    chosen = templates.get(_media_type(content_type) or _DEFAULT_TYPE)
    if chosen is not None:
        return chosen
    behaviour = integration.passthrough_behavior
    if behaviour == "NEVER" or (behaviour == "WHEN_NO_TEMPLATES" and templates):
        return MockFailure("UNSUPPORTED_MEDIA_TYPE", f"no request template for content type `{content_type}`")
    return None


def _select(responses: tuple[IntegrationResponse, ...], status: str | None) -> IntegrationResponse | None:
    default = next((r for r in responses if r.selection_pattern is None), None)
    if status is None:
        return default
    for response in responses:
        if response.selection_pattern is not None and re.fullmatch(response.selection_pattern, status):
            return response
    return default


def _response_template(templates: Mapping[str, str], accept: str | None) -> tuple[str, str] | None:
    if not templates:
        return None
    for candidate in (_media_type(accept), _DEFAULT_TYPE):
        if candidate is not None and candidate in templates:
            return candidate, templates[candidate]
    first = next(iter(templates))
    return first, templates[first]


def mock_answer(
    integration: Integration, source: MappingSource, content_type: str | None, accept: str | None
) -> MockAnswer | MockFailure:
    """The MOCK integration's answer to one request (module docstring), or why there is none."""
    template = _request_template(integration, content_type)
    if isinstance(template, MockFailure):
        return template
    status: str | None = None
    if template is not None:
        found = _STATUS_CODE.search(render(template, source))
        if found is None:
            message = "Unable to parse statusCode. It should be an integer that is defined in the request template."
            return MockFailure("API_CONFIGURATION_ERROR", f"Execution failed due to configuration error: {message}")
        status = found[1]
    selected = _select(integration.responses, status)
    if selected is None:
        message = "No match for output mapping and no default output mapping configured."
        where = f" Endpoint Response Status Code: {status}" if status else ""
        return MockFailure("API_CONFIGURATION_ERROR", f"Execution failed due to configuration error: {message}{where}")
    headers: CIMultiDict[str] = CIMultiDict()
    for key, expression in selected.response_parameters.items():
        value = source.value(expression)
        if value is not None:
            headers[key.removeprefix(_HEADER_PREFIX)] = value
    chosen = _response_template(selected.response_templates, accept)
    body = render(chosen[1], source).encode("utf-8") if chosen is not None else b""
    headers.setdefault("Content-Type", chosen[0] if chosen is not None else _DEFAULT_TYPE)
    return MockAnswer(int(selected.status_code), headers, body)
