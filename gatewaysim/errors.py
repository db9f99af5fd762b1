"""The whole exception tree of gatewaysim.

::

    GatewaysimError
    ├── PolicyError(ValueError)        a policy document is malformed (every problem, located)
    ├── ConfigError(ValueError)        a config file or flag is malformed (every problem, located)
    │   └── TemplateError              a template (SAM, CloudFormation, OpenAPI, Terraform) is malformed
    ├── DocumentError(ValueError)      a YAML/JSON text cannot be read safely (safeload.py)
    ├── AuthorizerError                an authorizer could not give an answer (maps to a 500)
    ├── RequestTooLarge                the request body passed the payload limit (maps to a 413)
    ├── ClientBodyError                the client's body stalled (BodyTimeout, 408) or broke off (400)
    │   └── BodyTimeout(TimeoutError)
    ├── StoreError(ConnectionError)    the shared store (Redis) cannot be reached (maps to a 500)
    └── UpstreamError(ConnectionError) the backend could not be reached or answered badly
        ├── UpstreamTimeout(TimeoutError)
        └── UpstreamUnavailable

Messages follow one style: lowercase, one line, user values in backticks, located as
``source: json.path: what is wrong``. Each error knows the CLI exit code it maps to. A value
quoted in a message is cut to ``MAX_QUOTED`` characters and a message to ``MAX_MESSAGE``
(SECURITY: an error line never echoes a whole hostile value).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "AuthorizerError",
    "BodyTimeout",
    "ClientBodyError",
    "MAX_MESSAGE",
    "MAX_QUOTED",
    "ConfigError",
    "DocumentError",
    "DecisionsError",
    "GatewaysimError",
    "PolicyError",
    "Problem",
    "RequestTooLarge",
    "StoreError",
    "TemplateError",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "shorten",
]

MAX_QUOTED: Final = 100
"""Characters of one backticked value an error line quotes; the rest is cut."""
MAX_MESSAGE: Final = 600
"""Characters of one problem message; the rest is cut."""
_QUOTED: Final = re.compile(rf"`([^`]{{{MAX_QUOTED + 1},}})`")


def shorten(message: str) -> str:
    """``message`` with every backticked value cut to ``MAX_QUOTED`` characters, the whole to ``MAX_MESSAGE``."""
    if len(message) <= MAX_QUOTED:
        return message
    cut = _QUOTED.sub(lambda m: f"`{m.group(1)[:MAX_QUOTED]}...` ({len(m.group(1))} characters)", message)
    return cut if len(cut) <= MAX_MESSAGE else cut[:MAX_MESSAGE] + "... (cut)"


class GatewaysimError(Exception):
    """Base of every error gatewaysim raises on purpose."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Problem:
    """One located input problem: ``path`` is a JSON path like ``Statement[1].Effect``."""

    path: str
    message: str

    def __post_init__(self) -> None:
        # SECURITY: a hostile value (a 60 KB string, an expanded YAML bomb) never fills an error line.
        object.__setattr__(self, "path", shorten(self.path))
        object.__setattr__(self, "message", shorten(self.message))

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


class DocumentError(_LocatedError):
    """A YAML or JSON text that cannot be read safely: not UTF-8, not valid, too large, too deep,
    or a YAML alias bomb (``gatewaysim.safeload``). Readers re-raise it as their own kind."""

    kind = "document"


class TemplateError(ConfigError):
    """A template (SAM, CloudFormation, OpenAPI, Terraform) is malformed or cannot be read offline."""

    kind = "template"


class DecisionsError(_LocatedError):
    """Recorded decision events that cannot be read (a decisions file, a gateway's ring)."""

    kind = "decisions"


class AuthorizerError(GatewaysimError):
    """An authorizer failed for a reason other than rejecting the caller."""


class RequestTooLarge(GatewaysimError):
    """The request body is larger than the configured payload limit."""


class ClientBodyError(GatewaysimError):
    """The client's request body could not be read whole: it broke off or its framing is malformed."""


class BodyTimeout(ClientBodyError, TimeoutError):
    """The client sent no body bytes for longer than the body idle timeout."""


class StoreError(GatewaysimError, ConnectionError):
    """The shared store (``store:``, Redis) cannot be reached or refused a command."""


class UpstreamError(GatewaysimError, ConnectionError):
    """The backend could not be reached or broke off its answer."""


class UpstreamTimeout(UpstreamError, TimeoutError):
    """The backend did not answer within the integration timeout."""


class UpstreamUnavailable(UpstreamError):
    """The backend refused or reset the connection."""
