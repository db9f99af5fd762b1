"""Switches for the authorization flow's OPEN points (config key ``flow``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_SETTINGS", "FlowSettings"]


@dataclass(frozen=True, slots=True)
class FlowSettings:
    """Switches for the spec's OPEN points.

    ``cognito_requires_policy_allow``: True (default) follows the prose of spec 2.d (a Cognito
    method behind a resource policy needs an explicit policy Allow); False applies Table A.
    """

    cognito_requires_policy_allow: bool = True


DEFAULT_SETTINGS = FlowSettings()
