"""Which requests are AWS control-plane calls (``claims``), in order; the first rule that decides wins:

1. A path naming ``_user_request_`` (LocalStack's ``/restapis/{id}/{stage}/_user_request_/...``,
   raw or percent-encoded, well formed or not) is always proxied traffic: the data plane judges it.
2. A Host naming an API (``{id}.execute-api.localhost``, ``{id}.execute-api.{region}.amazonaws.com``)
   is always the data plane.
3. A request signed with SigV4 for the service ``apigateway`` (its credential scope
   ``.../{region}/apigateway/aws4_request``: every AWS CLI, boto3 or Terraform call) is a control-plane
   call, whatever its path. A call to an API's method signed for ``execute-api`` is not.
4. An unsigned request whose path is ``/restapis`` or below (``curl .../restapis``) is a control-plane
   call: that prefix was never a path of an API (a stage may not be named ``restapis``).
5. Anything else is the data plane: ``/apikeys`` unsigned may be an API's own path.

This is all the gateway reads per request; the plane itself (``control.plane``, its operations and
botocore's model) is built on the first call it claims.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote

from aiohttp import web
from multidict import istr

from gatewaysim.gateway.dispatch import PREFIX_MARKER, PREFIX_ROOT, host_api

__all__ = ["CONTROL_ROOT", "claims", "signed_access_key"]

CONTROL_ROOT: Final = f"/{PREFIX_ROOT}"
_AUTHORIZATION: Final = istr("Authorization")
_SIGV4: Final = "AWS4-HMAC-SHA256"
_SCOPE: Final = "/apigateway/aws4_request"
_CREDENTIAL: Final = re.compile(r"Credential=([^,\s]{1,1024})")


def signed_access_key(authorization: str) -> str | None:
    """The access key id of a SigV4 ``Authorization`` scoped to ``apigateway``, else None."""
    if not authorization.startswith(_SIGV4) or _SCOPE not in authorization:
        return None
    found = _CREDENTIAL.search(authorization[:4096])
    if found is None:
        return None
    parts = found.group(1).rsplit("/", 4)  # access key id / date / region / service / aws4_request
    return parts[0] if len(parts) == 5 and parts[3] == "apigateway" and parts[4] == "aws4_request" else None


def _is_user_request(raw_path: str) -> bool:
    """True when the path names ``_user_request_`` anywhere (raw or percent-encoded): proxied traffic."""
    return PREFIX_MARKER in unquote(raw_path.partition("?")[0])


def claims(request: web.BaseRequest) -> bool:
    """True when ``request`` is a control-plane call (module docstring); cheap for proxied traffic."""
    raw = request.raw_path
    below_root = raw.startswith(CONTROL_ROOT) and raw[len(CONTROL_ROOT) : len(CONTROL_ROOT) + 1] in ("", "/", "?")
    authorization = request.headers.get(_AUTHORIZATION)
    signed = authorization is not None and signed_access_key(authorization) is not None
    if not below_root and not signed:
        return False
    if below_root and _is_user_request(raw):
        return False  # SECURITY: proxied traffic is judged by the data plane, always
    return host_api(request.host) is None
