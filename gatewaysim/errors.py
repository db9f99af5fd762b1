"""The whole exception tree of gatewaysim.

::

    GatewaysimError
    ├── PolicyError(ValueError)        a policy document is malformed (every problem, located)
    ├── ConfigError(ValueError)        a config file or flag is malformed (every problem, located)
    ├── AuthorizerError                an authorizer could not give an answer (maps to a 500)
    ├── RequestTooLarge                the request body passed the payload limit (maps to a 413)
    └── UpstreamError(ConnectionError) the backend could not be reached or answered badly
        ├── UpstreamTimeout(TimeoutError)
        └── UpstreamUnavailable

Messages follow one style: lowercase, one line, user values in backticks, located as
``source: json.path: what is wrong``. Each error knows the CLI exit code it maps to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "AuthorizerError",
    "ConfigError",
    "GatewaysimError",
    "PolicyError",
    "Problem",
    "RequestTooLarge",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]


class GatewaysimError(Exception):
    """Base of every error gatewaysim raises on purpose."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Problem:
    """One located input problem: ``path`` is a JSON path like ``Statement[1].Effect``."""

    path: str
    message: str

    def render(self, source: str | None = None) -> str:
        """The one-line form ``source: path: message``."""
        parts = [p for p in (source, self.path) if p]
        return ": ".join([*parts, self.message])


class _LocatedError(GatewaysimError, ValueError):
    """An input error carrying every problem found, each with its JSON path."""

    kind = "input"

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        """All problems, one per line, each prefixed with the source name."""
        prefix = f"{self.kind} `{self.source}`" if self.source else self.kind
        return "\n".join(p.render(prefix) for p in self.problems) or prefix


class PolicyError(_LocatedError):
    """A policy document is malformed; ``problems`` lists each located problem."""

    kind = "policy"


class ConfigError(_LocatedError):
    """A configuration file or flag is malformed; ``problems`` lists each located problem."""

    kind = "config"


class AuthorizerError(GatewaysimError):
    """An authorizer failed for a reason other than rejecting the caller."""


class RequestTooLarge(GatewaysimError):
    """The request body is larger than the configured payload limit."""


class UpstreamError(GatewaysimError, ConnectionError):
    """The backend could not be reached or broke off its answer."""


class UpstreamTimeout(UpstreamError, TimeoutError):
    """The backend did not answer within the integration timeout."""


class UpstreamUnavailable(UpstreamError):
    """The backend refused or reset the connection."""
