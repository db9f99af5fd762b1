"""The REST API (v1) Lambda proxy event (spec 18.3, 18.4), every field as AWS records it.

* ``headers``/``multiValueHeaders``: the client's headers with its spelling, minus the ones API
  Gateway drops before any integration (hop-by-hop, ``Content-Length`` ...), the gateway's own
  identity headers and a SigV4 ``Authorization``; plus ``X-Forwarded-For``/``-Port``/``-Proto``
  and ``X-Amzn-Trace-Id``. Names repeated in another case are one entry (the first spelling);
  ``headers`` keeps the last value. ``null`` when there are none.
* ``queryStringParameters``/``multiValueQueryStringParameters``: decoded (``+`` is a space);
  the single map keeps the last value; ``null`` without a query string.
* ``pathParameters`` (encoding kept) and ``stageVariables``: ``null`` when empty.
* ``body``: text, or base64 with ``isBase64Encoded: true`` when the request's ``Content-Type``
  is one of the API's ``binaryMediaTypes``; ``null`` when empty.
* ``requestContext``: no ``authorizer`` key unless the method has an authorizer (CUSTOM:
  ``principalId``, the context values as strings, ``integrationLatency``; Cognito: ``claims``);
  ``identity.apiKey``/``apiKeyId`` only when a key was checked; IAM callers fill ``accessKey``,
  ``accountId``, ``caller``, ``user``, ``userArn``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any, Final, NamedTuple
from urllib.parse import parse_qsl

from multidict import CIMultiDictProxy

from gatewaysim.authorizers.base import AuthorizerResult, AuthType
from gatewaysim.config.routes import RouteMatch
from gatewaysim.context import RequestContext
from gatewaysim.header_rules import REQUEST_DROPPED
from gatewaysim.ids import deployment_id, resource_id, trace_root
from gatewaysim.integrations.lambda_proxy.binary import is_binary
from gatewaysim.integrations.request_info import domain_prefix, request_time

__all__ = ["EventInput", "proxy_event"]

_DROPPED: Final = REQUEST_DROPPED - {"host"}  # the event shows the Host the client sent
_IAM_FIELDS: Final = ("accessKey", "accountId", "caller", "user", "userArn")
_IDENTITY: Final = (
    "accessKey",
    "accountId",
    "caller",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "principalOrgId",
    "sourceIp",
    "user",
    "userAgent",
    "userArn",
)
_FORWARDED: Final = ("X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto")
_PORTS: Final = {80: "80", 443: "443", 8080: "8080"}
_CREDENTIAL: Final = re.compile(r"Credential=([A-Za-z0-9]+)/")
_QUERY_CREDENTIAL: Final = re.compile(r"(?:^|&)X-Amz-Credential=([A-Za-z0-9]+)(?:%2F|/)", re.IGNORECASE)
_SIGV4: Final = "AWS4-"


class EventInput(NamedTuple):
    """What the event is built from: the request as the stages left it."""

    headers: CIMultiDictProxy[str]
    host: str
    ctx: RequestContext
    method: RouteMatch
    account: str
    stage_variables: Mapping[str, str]
    body: bytes
    binary_media_types: tuple[str, ...]
    drop: frozenset[str]  # lower-case header names the client may never send on
    port: int
    authz: AuthorizerResult | None = None
    authorizer_latency_ms: int = 0


def _headers(event: EventInput) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``headers`` and ``multiValueHeaders`` (module docstring). One pass, one ``lower()`` a header:
    this runs on every request."""
    drop, iam = event.drop, event.method.route.authorization_type is AuthType.AWS_IAM
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    connection: list[str] = []
    for name, value in event.headers.items():
        key = name.lower()
        canonical = key.replace("_", "-").replace(".", "-") if "_" in key or "." in key else key
        if canonical in _DROPPED or canonical in drop:  # SECURITY: identity headers never reach a function
            # (nor `X_Gatewaysim_Principal`: a WSGI adapter in the function reads it as the real one)
            if key == "connection":
                connection.append(value)
            continue
        if iam and key == "authorization" and value.lstrip().startswith(_SIGV4):
            continue  # spec 10.2: the signature stops at the gateway
        first = spelling.get(key)
        if first is None:
            first = spelling[key] = str(name)  # a plain str: multidict hands out `istr` names
            multi[first] = [value]
        else:
            multi[first].append(value)
        single[first] = value
    for listed in connection:  # names a `Connection` header lists are hop-by-hop too
        for token in listed.split(","):
            gone = spelling.pop(token.strip().lower(), None)
            if gone is not None and not gone.lower().startswith(("x-forwarded-", "x-amzn-")):
                del single[gone], multi[gone]
            elif gone is not None:
                spelling[gone.lower()] = gone
    ctx = event.ctx
    trace = spelling.get("x-amzn-trace-id")
    if trace is None:
        value = trace_root(ctx.request_time, ctx.ids.request_id)
        single["X-Amzn-Trace-Id"], multi["X-Amzn-Trace-Id"] = value, [value]
    forwarded = (ctx.forwarded_for, _PORTS.get(event.port) or str(event.port), "https" if ctx.secure else "http")
    for name, value in zip(_FORWARDED, forwarded, strict=True):  # the client's were dropped (`drop`)
        single[name], multi[name] = value, [value]
    return single, multi


def _query(query_string: str) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not query_string:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True, errors="replace"):
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single or None, multi or None


def _identity(event: EventInput) -> dict[str, Any]:
    ctx = event.ctx
    identity: dict[str, Any] = dict.fromkeys(_IDENTITY)
    identity["sourceIp"] = ctx.source_ip
    identity["userAgent"] = event.headers.get("User-Agent")
    if event.method.route.authorization_type is AuthType.AWS_IAM and event.authz is not None:
        keys = event.authz.context_keys
        user_id = keys.get("aws:userid", (None,))[0]
        found = _CREDENTIAL.search(event.headers.get("Authorization", "")) or _QUERY_CREDENTIAL.search(ctx.query_string)
        values = (found[1] if found else None, keys.get("aws:principalaccount", (None,))[0], user_id, user_id)
        identity.update(zip(_IAM_FIELDS, (*values, ctx.principal), strict=True))
    if ctx.client_cert is not None:  # mutual TLS only (spec 10.1): the caller's certificate (gateway.tls)
        identity["clientCert"] = {**ctx.client_cert, "validity": dict(ctx.client_cert["validity"])}
    if ctx.api_key is not None:  # only when the method checked a key (spec 13.3)
        identity["apiKey"] = ctx.api_key
        identity["apiKeyId"] = ctx.api_key_id
    return identity


def _authorizer(event: EventInput) -> dict[str, Any] | None:
    authz, auth_type = event.authz, event.method.route.authorization_type
    if authz is None or auth_type not in (AuthType.CUSTOM, AuthType.COGNITO_USER_POOLS):
        return None  # spec 18.3: no `authorizer` key without an authorizer
    if auth_type is AuthType.COGNITO_USER_POOLS:
        return {"claims": {name: str(value) for name, value in authz.claims.items()}}
    context = {name: _text(value) for name, value in authz.context.items()}
    return {**context, "principalId": authz.principal_id, "integrationLatency": event.authorizer_latency_ms}


def _text(value: object) -> str:
    """A context value as the proxy event carries it (spec 7.7: stringified)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _request_context(event: EventInput) -> dict[str, Any]:
    ctx, method = event.ctx, event.method
    context: dict[str, Any] = {
        "accountId": event.account,
        "apiId": ctx.api_id,
        "deploymentId": deployment_id(ctx.api_id, ctx.stage),
        "domainName": event.host,
        "domainPrefix": domain_prefix(event.host),
        "extendedRequestId": ctx.ids.apigw_id,
        "httpMethod": ctx.http_method,
        "identity": _identity(event),
        "path": ctx.context_path,
        "protocol": "HTTP/1.1",
        "requestId": ctx.ids.request_id,
        "requestTime": request_time(int(ctx.request_time)),
        "requestTimeEpoch": int(ctx.request_time * 1000),
        "resourceId": resource_id(ctx.api_id, method.resource_path),
        "resourcePath": method.resource_path,
        "stage": ctx.stage,
    }
    authorizer = _authorizer(event)
    if authorizer is not None:
        context["authorizer"] = authorizer
    return context


def _body(event: EventInput) -> tuple[str | None, bool]:
    if not event.body:
        return None, False
    if is_binary(event.headers.get("Content-Type"), event.binary_media_types):
        return base64.b64encode(event.body).decode("ascii"), True
    return event.body.decode("utf-8", "replace"), False


def proxy_event(event: EventInput) -> dict[str, Any]:
    """The proxy event for one request (module docstring)."""
    headers, multi_headers = _headers(event)
    query, multi_query = _query(event.ctx.query_string)
    body, is_base64 = _body(event)
    return {
        "resource": event.method.resource_path,
        "path": event.ctx.event_path,
        "httpMethod": event.ctx.http_method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(event.method.path_parameters) or None,
        "stageVariables": dict(event.stage_variables) or None,
        "requestContext": _request_context(event),
        "body": body,
        "isBase64Encoded": is_base64,
    }
