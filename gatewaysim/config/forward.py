"""The limits of an API's integration calls (config key ``forward``)."""

from __future__ import annotations

from dataclasses import dataclass

from gatewaysim.errors import ConfigError, Problem

__all__ = ["ForwardSettings"]


def _positive(name: str, value: float) -> list[Problem]:
    return [] if value > 0 else [Problem(f"forward.{name}", f"must be positive, got `{value}`")]


@dataclass(frozen=True, slots=True)
class ForwardSettings:
    """Limits of the integration: AWS's 29 s timeout and 10 MB payload by default.

    ``stream_uploads`` (not AWS's behaviour, off by default): the HTTP_PROXY integration streams
    the request body to the backend as it arrives instead of reading it whole first.
    """

    timeout_s: float = 29.0
    max_body_bytes: int = 10 * 1024 * 1024
    connect_timeout_s: float = 5.0
    pool_limit: int = 100
    stream_uploads: bool = False

    def __post_init__(self) -> None:
        problems = [
            *_positive("timeout_s", self.timeout_s),
            *_positive("max_body_bytes", self.max_body_bytes),
            *_positive("connect_timeout_s", self.connect_timeout_s),
            *_positive("pool_limit", self.pool_limit),
        ]
        if problems:
            raise ConfigError(problems)
