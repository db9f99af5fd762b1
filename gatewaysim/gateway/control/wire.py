"""The REST-JSON protocol, server side, read and written through botocore's service model.

botocore serialises requests and parses answers for clients; this module does the other half with
the same model: ``read_input`` builds an operation's parameters from the URI labels, the query
string, the headers and the JSON body (each member where its ``location`` and ``locationName``
put it), then checks them with botocore's own ``ParamValidator``; ``write_output`` renders a
result dict as the operation's output shape (``locationName`` on the wire: ``items`` travels as
``item``; timestamps as epoch seconds; the model's ``responseCode``) after checking it against that
shape, so an answer that does not fit AWS's shape is a bug that fails loudly, never a silent drift.

Errors are AWS's REST-JSON error shape: the status of the error shape in the model
(``NotFoundException`` 404, ``BadRequestException`` 400 ...), ``x-amzn-ErrorType: <code>`` and the
body ``{"message": "..."}``.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from multidict import MultiMapping

from gatewaysim.errors import DocumentError, GatewaysimError
from gatewaysim.gateway.control.model import service_model
from gatewaysim.ids import request_id
from gatewaysim.safeload import Limits, load_json

if TYPE_CHECKING:
    from botocore.model import OperationModel, Shape

__all__ = ["OWN_ERRORS", "ServiceError", "error_response", "read_input", "write_output"]

OWN_ERRORS: Final[Mapping[str, int]] = {
    # errors the apigateway model does not declare (AWS-wide codes), with their status
    "AccessDeniedException": 403,
    "UnrecognizedClientException": 403,
    "UnknownOperationException": 404,
    "NotImplementedException": 501,
    "InternalFailure": 500,
}
_BOOLEANS: Final = {"true": True, "false": False}
BODY_LIMITS: Final = Limits(max_bytes=11 * 1024 * 1024, max_depth=32, max_nodes=100_000)
"""A control-plane body (the plane reads at most 10 MiB; API Gateway's inputs nest a few levels)."""


class ServiceError(GatewaysimError):
    """An AWS error answer: ``code`` is the ``x-amzn-ErrorType``, ``message`` the body's message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _status(code: str) -> int:
    if code in OWN_ERRORS:
        return OWN_ERRORS[code]
    shape = service_model().shape_for(code)
    return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))


def error_response(code: str, message: str) -> web.Response:
    """AWS's REST-JSON error answer for ``code`` (status from the model's error shape)."""
    headers = {"x-amzn-RequestId": request_id(), "x-amzn-ErrorType": code}
    body = json.dumps({"message": message}, separators=(",", ":"))
    return web.Response(status=_status(code), body=body.encode(), content_type="application/json", headers=headers)


def _bad(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


def _scalar(shape: Shape, text: str, name: str) -> Any:
    """A query-string or header value as the member's type."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise _bad(f"Invalid value for parameter {name}: `{text[:100]}` is not an integer") from None
    if kind == "boolean":
        if text.lower() not in _BOOLEANS:
            raise _bad(f"Invalid value for parameter {name}: `{text[:100]}` is not true or false")
        return _BOOLEANS[text.lower()]
    return text


def _located(op: OperationModel, labels: Mapping[str, str], query: MultiMapping[str], headers: Any) -> dict[str, Any]:
    params: dict[str, Any] = {}
    shape = op.input_shape
    for name, member in shape.members.items() if shape is not None else ():
        where, wire = member.serialization.get("location"), member.serialization.get("name", name)
        if where == "uri" and wire in labels:
            params[name] = labels[wire]
        elif where == "querystring" and wire in query:
            values = query.getall(wire)
            if member.type_name == "list":
                params[name] = [_scalar(member.member, v, name) for v in values]
            else:
                params[name] = _scalar(member, values[-1], name)
        elif where == "header" and wire in headers:
            params[name] = _scalar(member, headers[wire], name)
    return params


def _from_wire(shape: Shape, value: Any) -> Any:
    """A JSON body value as botocore parameters: ``locationName`` keys become member names."""
    if shape.type_name == "structure" and isinstance(value, Mapping):
        wire_names: dict[str, str] = {m.serialization.get("name", n): n for n, m in shape.members.items()}
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = wire_names.get(str(key), str(key))  # an unknown key stays: the validator names it
            member = shape.members.get(name)
            out[name] = _from_wire(member, item) if member is not None else item
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_from_wire(shape.member, item) for item in value]
    if shape.type_name == "map" and isinstance(value, Mapping):
        return {key: _from_wire(shape.value, item) for key, item in value.items()}
    return value


def read_input(
    op: OperationModel, labels: Mapping[str, str], query: MultiMapping[str], headers: Any, body: bytes
) -> dict[str, Any]:
    """The operation's parameters from the request; raises ``ServiceError`` (BadRequestException)."""
    params = _located(op, labels, query, headers)
    shape = op.input_shape
    if shape is not None and body.strip():
        try:
            document = load_json(body, BODY_LIMITS)  # SECURITY: the one hardened reader (size, depth)
        except DocumentError as exc:
            reason = exc.problems[0].message if exc.problems else "not JSON"
            raise _bad(f"Could not parse request body into json: {reason}") from None
        if not isinstance(document, Mapping):
            raise _bad("Could not parse request body into json: expected an object")
        body_members = {n for n, m in shape.members.items() if "location" not in m.serialization}
        converted = _from_wire(shape, document)
        params.update({k: v for k, v in converted.items() if k in body_members or k not in shape.members})
    if shape is not None:
        _validate(params, shape)
    return params


def _validate(params: Mapping[str, Any], shape: Shape) -> None:
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        lines = report.generate_report().splitlines()
        raise _bad(lines[0][:500] + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""))


def _epoch(value: datetime.datetime) -> int | float:
    seconds = value.timestamp()
    return int(seconds) if seconds.is_integer() else seconds


def _to_wire(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return {
            shape.members[name].serialization.get("name", name): _to_wire(shape.members[name], item)
            for name, item in value.items()
            if item is not None
        }
    if kind == "list":
        return [_to_wire(shape.member, item) for item in value]
    if kind == "map":
        return {key: _to_wire(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        return _epoch(value)
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    return value


def write_output(op: OperationModel, result: Mapping[str, Any] | None) -> web.Response:
    """``result`` as the operation's answer: the output shape on the wire, the model's status code.

    Timestamps in ``result`` are ``datetime`` values (what botocore's validator and parser use).
    """
    from botocore.validate import ParamValidator

    status = int(op.http.get("responseCode", 200))
    headers = {"x-amzn-RequestId": request_id()}
    shape = op.output_shape
    if shape is None or result is None:
        return web.Response(status=status, headers=headers)
    report = ParamValidator().validate(result, shape)
    if report.has_errors():  # a bug in gatewaysim: the answer would not be the shape AWS answers
        raise RuntimeError(f"{op.name} answer does not fit `{shape.name}`: {report.generate_report()}")
    body = json.dumps(_to_wire(shape, result), separators=(",", ":"))
    return web.Response(status=status, body=body.encode(), content_type="application/json", headers=headers)
