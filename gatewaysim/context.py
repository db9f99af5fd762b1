"""The request context: what every stage after identity knows about one request.

Built once per request by ``gateway.identity`` and never changed; the authorizer stage, the
integrations and the logs read it. It sits in the shared vocabulary so an integration can read
it without importing the gateway that calls the integration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from gatewaysim.ids import RequestIds
from gatewaysim.policy import Request

__all__ = ["ANONYMOUS", "INVOKE", "RequestContext"]

ANONYMOUS: Final = "anonymous"
"""The caller of a request that names no principal."""
INVOKE: Final = "execute-api:Invoke"
"""The action every execute-api request asks for."""


class RequestContext(NamedTuple):
    """Everything later stages know about one request; built once, never changed.

    A named tuple rather than a frozen dataclass: it is built on every request, and a frozen
    dataclass sets each of its 14 fields through ``object.__setattr__`` (3x the time).
    """

    ids: RequestIds
    api_id: str
    stage: str
    http_method: str
    path: str  # normalised, after the stage: `/` or `/pets/1`
    query_string: str
    method_arn: str
    principal: str
    source_ip: str
    peer_ip: str
    forwarded_for: str  # the X-Forwarded-For the backend gets
    secure: bool
    request_time: float  # epoch seconds
    policy_request: Request
    api_key: str | None = None  # the key checked for this method ($context.identity.apiKey); None: none checked
    api_key_id: str | None = None  # its id ($context.identity.apiKeyId)
    client_cert: Mapping[str, Any] | None = None  # mutual TLS: $context.identity.clientCert (gateway.tls)
    sent_path: str = ""  # the path as sent, stage included (`/prod//pets/`); "": the same as full_path

    @property
    def context_path(self) -> str:
        """``$context.path`` as AWS shows it: the path as sent, stage included (spec 18.4)."""
        return self.sent_path or self.full_path

    @property
    def event_path(self) -> str:
        """The proxy event's ``path``: the path as sent after the stage, its leading slashes made one."""
        if not self.sent_path:
            return self.path
        after = self.sent_path[len(self.stage) + 1 :]
        return "/" + after.lstrip("/")

    @property
    def full_path(self) -> str:
        """The request path with its stage, as ``$context.path``: ``/prod/pets/1``."""
        return f"/{self.stage}{self.path}"
