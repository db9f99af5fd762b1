"""The values importers return, and the settings they share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatewaysim.errors import DocumentError, Problem
from gatewaysim.safeload import POLICY_LIMITS, FormatError, load_json

__all__ = ["Found", "ImportOptions", "ImportedPolicy", "decode_policy_text", "finish_document"]


@dataclass(frozen=True, slots=True)
class ImportedPolicy:
    """A resource policy found in a source file.

    ``source`` is the kind of file (``cloudformation``, ``sam``, ``openapi``, ``terraform``,
    ``terraform-show``, ``get-rest-api``, ``policy``); ``location`` the JSON path of the policy in it
    (for SAM, where the template states it: ``Auth.ResourcePolicy`` ...); ``api`` the API's name
    there (logical id, Terraform address, title) when it has one; ``api_id`` the API id when the
    source states it (Terraform state, ``get-rest-api``). The API's methods and authorizers are in
    its ``ApiModel``.
    """

    document: dict[str, Any]
    source: str
    location: str
    api: str | None = None
    api_id: str | None = None


@dataclass(frozen=True, slots=True)
class Found:
    """One API an importer looked at: its policy, or the problems that kept it from one, or neither."""

    api: str | None
    policy: ImportedPolicy | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What the importer may substitute for references (``None`` = unknown)."""

    account: str | None = None
    region: str | None = None
    api_id: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)


def decode_policy_text(text: str) -> Any:
    """Decode a policy given as text: plain JSON, or the backslash-escaped form API Gateway returns.

    ``aws apigateway get-rest-api`` prints ``"policy": "{\\"Version\\":...}"``: once the outer JSON
    is read the value still carries ``\\"`` and ``\\/``; it is the body of a JSON string literal.
    """
    stripped = text.strip()
    try:
        try:
            return load_json(stripped, POLICY_LIMITS)
        except FormatError:
            pass
        try:
            inner = load_json(f'"{stripped}"', POLICY_LIMITS)
        except FormatError:
            raise ValueError("the policy text is not JSON") from None
        try:
            return load_json(inner, POLICY_LIMITS)
        except FormatError:
            raise ValueError("the policy text is not JSON, even after unescaping") from None
    except DocumentError as exc:  # over a limit: say which
        raise ValueError(exc.problems[0].message) from None


def finish_document(value: Any, location: str, problems: list[Problem]) -> dict[str, Any] | None:
    """Turn a found policy (mapping or JSON text) into a document; record a problem otherwise."""
    if isinstance(value, str):
        try:
            value = decode_policy_text(value)
        except ValueError as exc:
            problems.append(Problem(location, str(exc)))
            return None
    if not isinstance(value, Mapping) or "Statement" not in value:
        problems.append(Problem(location, "not a policy document (a mapping with `Statement`)"))
        return None
    return dict(value)
