"""Authorizers: the ``Authorizer`` Protocol and its result values.

Implementations live in submodules (``lambda_``, ``sigv4``, ``jwt``); import them from there.
"""

from __future__ import annotations

from gatewaysim.authorizers.base import (
    ACCESS_DENIED,
    AUTHORIZER_CONFIGURATION_ERROR,
    UNAUTHORIZED,
    Authorizer,
    AuthorizerColumn,
    AuthorizerRequest,
    AuthorizerResult,
    AuthType,
    ContextValue,
    NoneAuthorizer,
    Rejection,
    SupportsClose,
    column_for,
    configuration_error,
    identity_policy_column,
    unauthorized,
)

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
