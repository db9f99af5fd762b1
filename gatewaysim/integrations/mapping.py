"""Values a mapping expression or a static template may read (spec 18.5, 18.6, 20.1).

A ``MappingSource`` holds what one request offers: its headers, query, path parameters, stage
variables and ``$context`` variables. ``value`` reads one mapping expression
(``method.request.header.X``, ``'static'``, ``stageVariables.x``, ``context.requestId``);
``render`` fills ``$context.x`` and ``$stageVariables.x`` references in a template's text (the
rest of VTL is not emulated, and the config warns about it). An undefined variable renders as
an empty string, as AWS renders it (spec 20.1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final, NamedTuple

from multidict import MultiMapping

from gatewaysim.config.integration_values import CONTEXT_VALUE, METHOD_VALUE, STAGE_VARIABLE, STATIC_VALUE

__all__ = ["MappingSource", "render", "stage_variables_in"]

_TEMPLATE_REFERENCE: Final = re.compile(
    r"\$(?:\{(?P<braced>(?:context|stageVariables)\.[A-Za-z0-9_.]+)\}"
    r"|stageVariables\['(?P<quoted>[A-Za-z0-9_]+)'\]"
    r"|(?P<plain>(?:context|stageVariables)\.[A-Za-z0-9_]+(?:\.[A-Za-z][A-Za-z0-9_]*)*))"
)
_URI_VARIABLE: Final = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


class MappingSource(NamedTuple):
    """What one request offers to mapping expressions."""

    headers: MultiMapping[str]
    query: MultiMapping[str]
    path_parameters: Mapping[str, str]
    stage_variables: Mapping[str, str]
    context: Mapping[str, str]  # flat `$context` names: `requestId`, `identity.sourceIp` ...

    def value(self, expression: str) -> str | None:
        """The value of one mapping expression; None when the request has none."""
        static = STATIC_VALUE.fullmatch(expression)
        if static is not None:
            return static[1]
        variable = STAGE_VARIABLE.fullmatch(expression)
        if variable is not None:
            return self.stage_variables.get(variable[1])
        context = CONTEXT_VALUE.fullmatch(expression)
        if context is not None:
            return self.context.get(context[1])
        method = METHOD_VALUE.fullmatch(expression)
        if method is None:
            return None
        return _READERS[method[1]](self, method[2])


def _last(values: MultiMapping[str], name: str) -> str | None:
    found = values.getall(name, [])
    return found[-1] if found else None


def _joined(values: MultiMapping[str], name: str) -> str | None:
    found = values.getall(name, [])
    return ",".join(found) if found else None


_READERS: Final[Mapping[str, Callable[[MappingSource, str], str | None]]] = {
    "header": lambda s, n: _last(s.headers, n),
    "querystring": lambda s, n: _last(s.query, n),
    "path": lambda s, n: s.path_parameters.get(n),
    "multivalueheader": lambda s, n: _joined(s.headers, n),
    "multivaluequerystring": lambda s, n: _joined(s.query, n),
}


def render(template: str, source: MappingSource) -> str:
    """``template`` with its ``$context.x`` and ``$stageVariables.x`` references filled."""

    def fill(match: re.Match[str]) -> str:
        if match["quoted"] is not None:
            return source.stage_variables.get(match["quoted"], "")
        name = match["braced"] or match["plain"]
        kind, _, rest = name.partition(".")
        table = source.context if kind == "context" else source.stage_variables
        return table.get(rest, "")

    return _TEMPLATE_REFERENCE.sub(fill, template) if "$" in template else template


def stage_variables_in(uri: str, variables: Mapping[str, str]) -> str:
    """``uri`` with every ``${stageVariables.x}`` filled (undefined: empty, spec 20.1)."""
    if "${" not in uri:
        return uri
    return _URI_VARIABLE.sub(lambda m: variables.get(m[1], ""), uri)
