"""botocore's own service model of ``apigateway``, and the routing it implies.

Every operation of the model has an HTTP method and a ``requestUri`` template
(``/restapis/{restapi_id}/stages/{stage_name}``, ``/apikeys?mode=import``). ``route`` finds the
operation a request names by matching those templates segment by segment; when several match, the
one with the most literal segments (then literal query parameters) wins, so
``/restapis/{id}/stages`` is never read as ``/restapis/{id}``. The model is loaded on the first
control-plane request (botocore is heavy; ``serve`` must start fast).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, unquote

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel

__all__ = ["MAX_LABEL", "Routed", "operation_names", "route", "service_model"]

SERVICE: Final = "apigateway"
MAX_LABEL: Final = 2048
"""A URI label longer than this (decoded) names nothing: the request is refused unread."""
_LABEL: Final = re.compile(r"^\{([A-Za-z0-9_]+)(\+?)\}$")


@functools.cache
def service_model() -> ServiceModel:
    """The ``apigateway`` service model shipped with botocore (loaded once)."""
    import botocore.session  # lazily: the control plane's first request pays for it

    model: ServiceModel = botocore.session.get_session().get_service_model(SERVICE)
    return model


def operation_names() -> tuple[str, ...]:
    """Every operation the model names, sorted."""
    return tuple(sorted(service_model().operation_names))


@dataclass(frozen=True, slots=True)
class _Template:
    operation: str
    method: str
    segments: tuple[tuple[str, str | None], ...]  # (literal text, None) or ("", label name)
    query: tuple[tuple[str, str], ...]  # literal query parameters the template requires
    greedy: bool

    @property
    def rank(self) -> tuple[int, int]:
        return (sum(1 for _, label in self.segments if label is None), len(self.query))


@dataclass(frozen=True, slots=True)
class Routed:
    """The operation a request names and its URI labels (percent-decoded)."""

    operation: OperationModel
    labels: Mapping[str, str]


def _template(name: str, http: Mapping[str, Any]) -> _Template:
    path, _, query = str(http["requestUri"]).partition("?")
    segments: list[tuple[str, str | None]] = []
    greedy = False
    for part in path.strip("/").split("/") if path.strip("/") else []:
        label = _LABEL.match(part)
        if label is None:
            segments.append((part, None))
        else:
            segments.append(("", label.group(1)))
            greedy = greedy or bool(label.group(2))
    return _Template(name, str(http["method"]), tuple(segments), tuple(parse_qsl(query)), greedy)


@functools.cache
def _templates() -> tuple[_Template, ...]:
    model = service_model()
    found = [_template(name, model.operation_model(name).http) for name in model.operation_names]
    return tuple(sorted(found, key=lambda t: t.rank, reverse=True))


def _match(template: _Template, parts: list[str], query: Mapping[str, str]) -> dict[str, str] | None:
    if any(query.get(key) != value for key, value in template.query):
        return None
    if len(parts) != len(template.segments) and not (template.greedy and len(parts) >= len(template.segments)):
        return None
    labels: dict[str, str] = {}
    for index, (literal, label) in enumerate(template.segments):
        if label is None:
            if parts[index] != literal:
                return None
            continue
        value = "/".join(parts[index:]) if template.greedy and index == len(template.segments) - 1 else parts[index]
        value = unquote(value)
        if not value or len(value) > MAX_LABEL:
            return None
        labels[label] = value
    return labels


def route(method: str, raw_path: str, query: Mapping[str, str]) -> Routed | None:
    """The operation ``method raw_path`` names (the most specific template), or None."""
    path = raw_path.strip("/")
    parts = path.split("/") if path else []
    for template in _templates():
        if template.method != method:
            continue
        labels = _match(template, parts, query)
        if labels is not None:
            return Routed(service_model().operation_model(template.operation), labels)
    return None
