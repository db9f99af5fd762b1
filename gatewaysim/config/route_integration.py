"""A route item's ``integration`` key, checked against its resource and attached to its methods."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from gatewaysim.config.fields import INVALID, Checker
from gatewaysim.config.integration import parse_integration
from gatewaysim.config.integration_values import METHOD_VALUE
from gatewaysim.config.routes import Route, parse_template

__all__ = ["with_integration"]


def with_integration(checker: Checker, path: str, raw: Any, routes: Sequence[Route]) -> list[Route]:
    """``routes`` (one route item's methods) with the integration at ``path``; unchanged if it is bad."""
    integration = parse_integration(checker, path, raw)
    if integration is INVALID or not routes:
        return list(routes)
    function = integration.function
    known = checker.functions
    if function is not None and known is not None and "${" not in function and function not in known:
        declared = ", ".join(f"`{n}`" for n in sorted(known)) or "none"
        checker.add(path, f"unknown function `{function}` (declared in `functions`: {declared})")
        return list(routes)
    resource_parameters = {s.text for s in parse_template(routes[0].resource) if s.kind != "literal"}
    for key, value in integration.request_parameters.items():
        source = METHOD_VALUE.fullmatch(value)
        if source is not None and source[1] == "path" and source[2] not in resource_parameters:
            message = f"`{value}`: resource `{routes[0].resource}` has no path parameter `{source[2]}`"
            checker.add(f"{path}.requestParameters.{key}", message)
            return list(routes)
    return [dataclasses.replace(route, integration=integration) for route in routes]
