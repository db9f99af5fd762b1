"""The authorizer interface: one request value in, one result value out.

``Authorizer`` is the one small plug-in Protocol: ``async authorize(request) -> AuthorizerResult``.
The built-ins (Lambda TOKEN/REQUEST, SigV4, Cognito/JWT) are implementations of it. An authorizer
never builds an HTTP response: it answers with a column of AWS's outcome tables (``AuthorizerColumn``)
or, when the request must end before the tables, with a ``Rejection`` (401, 500, SigV4 403s).
``gatewaysim.gateway.authorize.tables`` turns that into the final ``Verdict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from gatewaysim.policy import CompiledPolicy, Decision, Outcome, Request

__all__ = [
    "ACCESS_DENIED",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "UNAUTHORIZED",
    "AuthType",
    "Authorizer",
    "AuthorizerColumn",
    "AuthorizerRequest",
    "AuthorizerResult",
    "ContextValue",
    "NoneAuthorizer",
    "Rejection",
    "SupportsClose",
    "column_for",
    "configuration_error",
    "identity_policy_column",
    "unauthorized",
]

ContextValue = str | int | float | bool
"""A value an authorizer may put in ``context`` (AWS allows string, number, boolean only)."""


class AuthType(StrEnum):
    """A method's ``authorizationType``."""

    NONE = "NONE"
    CUSTOM = "CUSTOM"
    AWS_IAM = "AWS_IAM"
    COGNITO_USER_POOLS = "COGNITO_USER_POOLS"


class AuthorizerColumn(StrEnum):
    """The authorizer column of AWS's Tables A and B (spec 2.e)."""

    ALLOW = "Allow"
    DENY = "Deny"
    NEITHER = "neither"


_COLUMN_FOR_OUTCOME: Mapping[Outcome, AuthorizerColumn] = {
    Outcome.ALLOW: AuthorizerColumn.ALLOW,
    Outcome.EXPLICIT_DENY: AuthorizerColumn.DENY,
    Outcome.IMPLICIT_DENY: AuthorizerColumn.NEITHER,
}


def column_for(outcome: Outcome) -> AuthorizerColumn:
    """The table column for a policy outcome: ExplicitDeny -> Deny, ImplicitDeny -> neither."""
    return _COLUMN_FOR_OUTCOME[outcome]


def _empty_headers() -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict())


def _empty_query() -> MultiDictProxy[str]:
    return MultiDictProxy(MultiDict())


@dataclass(frozen=True, slots=True)
class AuthorizerRequest:
    """Everything an authorizer may need, built by the server once per request.

    ``path`` is the actual path without the stage (leading ``/``); ``raw_path`` includes the stage.
    ``resource_path`` is the matched route template (``/pets/{petId}``); ``authorization_scopes`` are
    the matched method's OAuth scopes (Cognito). ``condition_context`` holds
    the same lower-cased condition keys the resource policy sees (``aws:sourceip`` ...), so an
    authorizer's own policy is evaluated with them. ``body`` is loaded only for authorizers whose
    ``needs_body`` is true.
    """

    method: str
    path: str
    method_arn: str
    resource_path: str = "/"
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    headers: CIMultiDictProxy[str] = field(default_factory=_empty_headers)
    query: MultiDictProxy[str] = field(default_factory=_empty_query)
    stage: str = "prod"
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    source_ip: str = "127.0.0.1"
    user_agent: str = ""
    api_id: str = ""
    account_id: str = ""
    region: str = "us-east-1"
    request_id: str = ""
    raw_path: str = ""
    query_string: str = ""
    api_key: str | None = None
    api_key_id: str | None = None
    resource_id: str = ""
    condition_context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    authorization_scopes: tuple[str, ...] = ()
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """An outright answer that ends the request: a gateway response type with its status and text.

    ``message`` None renders as ``{"message": null}``. ``detail`` is the real cause, for the log
    only; it never reaches the client.
    """

    response_type: str
    status: int
    message: str | None
    error_type: str
    detail: str | None = field(default=None, compare=False)

    def body(self) -> dict[str, str | None]:
        """The default JSON body: ``Message`` for ACCESS_DENIED (as AWS sends it), else ``message``."""
        key = "Message" if self.response_type == "ACCESS_DENIED" else "message"
        return {key: self.message}

    def with_detail(self, detail: str) -> Rejection:
        """The same rejection carrying ``detail`` for the log."""
        return Rejection(self.response_type, self.status, self.message, self.error_type, detail)


UNAUTHORIZED = Rejection("UNAUTHORIZED", 401, "Unauthorized", "UnauthorizedException")
AUTHORIZER_CONFIGURATION_ERROR = Rejection(
    "AUTHORIZER_CONFIGURATION_ERROR", 500, None, "AuthorizerConfigurationException"
)
ACCESS_DENIED = Rejection("ACCESS_DENIED", 403, None, "AccessDeniedException")


def unauthorized(detail: str) -> Rejection:
    """401 ``{"message":"Unauthorized"}`` with a log-only ``detail``."""
    return UNAUTHORIZED.with_detail(detail)


def configuration_error(detail: str) -> Rejection:
    """500 ``{"message": null}`` AuthorizerConfigurationException with a log-only ``detail``."""
    return AUTHORIZER_CONFIGURATION_ERROR.with_detail(detail)


@dataclass(frozen=True, slots=True)
class AuthorizerResult:
    """What an authorizer found.

    ``column`` is the authorizer column of Tables A/B. ``principal`` is the caller the resource
    policy is evaluated for: the IAM ARN for AWS_IAM, ``anonymous`` otherwise. ``principal_id`` and
    ``context`` come from a Lambda authorizer; ``claims`` from a JWT; ``context_keys`` are extra
    lower-cased condition keys for the resource policy (e.g. ``aws:principalaccount`` from SigV4).
    ``rejection`` set means the request ends here, before the tables. ``decision`` is the
    evaluation of the authorizer's own policy (for the log); ``cached`` says it came from the cache.
    """

    column: AuthorizerColumn
    principal: str = "anonymous"
    principal_id: str | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    claims: Mapping[str, Any] = field(default_factory=dict)
    context_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rejection: Rejection | None = None
    decision: Decision | None = None
    cached: bool = False
    usage_identifier_key: str | None = None

    @classmethod
    def rejected(cls, rejection: Rejection) -> AuthorizerResult:
        """A result that ends the request with ``rejection``."""
        return cls(AuthorizerColumn.NEITHER, rejection=rejection)


@runtime_checkable
class Authorizer(Protocol):
    """The plug-in interface: turn one request into one ``AuthorizerResult``."""

    @property
    def needs_body(self) -> bool:
        """True when the server must read the body into ``AuthorizerRequest.body`` first."""
        ...

    async def authorize(self, request: AuthorizerRequest) -> AuthorizerResult:
        """Authenticate and authorize; never raises for a caller's mistake (use ``rejection``)."""
        ...


@runtime_checkable
class SupportsClose(Protocol):
    """An authorizer holding resources (an HTTP session); the server awaits ``aclose`` at shutdown."""

    async def aclose(self) -> None:
        """Release what the authorizer holds."""
        ...


class NoneAuthorizer:
    """``authorizationType: NONE``: no authorizer runs; the caller is ``anonymous``.

    Its column is ``neither`` but ``flow.combine`` ignores it: NONE follows rule 2.a (the resource
    policy alone must Allow), not Tables A/B.
    """

    needs_body = False

    async def authorize(self, request: AuthorizerRequest) -> AuthorizerResult:
        """Always ``neither`` for ``anonymous``."""
        return AuthorizerResult(AuthorizerColumn.NEITHER)


def identity_policy_column(policy: CompiledPolicy | None, request: Request) -> tuple[AuthorizerColumn, Decision | None]:
    """The IAM-policy column for an AWS_IAM caller from its configured identity policy.

    With no identity policy configured the caller's identity policy counts as Allow (the
    emulator's documented default: credentials exist to be used).
    """
    if policy is None:
        return AuthorizerColumn.ALLOW, None
    decision = policy.evaluate(request)
    return column_for(decision.outcome), decision
