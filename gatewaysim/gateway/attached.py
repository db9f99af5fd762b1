"""The resource policy attached to an API while it serves: compiled, with the document as stored.

``AttachedPolicy`` is the value of ``ApiRuntime.attached``: the admin API and hot reload replace it
with one attribute assignment, so a request uses the policy it started with from start to end.
``document`` is the policy as AWS stores it after ``update-rest-api``: the JSON object, with the
``execute-api:/`` shorthand expanded to the API's ARN.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from gatewaysim.config.load import ApiSettings
from gatewaysim.gateway.authorize.statements import PolicyView, StatementId, statement_ids
from gatewaysim.policy import CompiledPolicy, compile_policy
from gatewaysim.safeload import POLICY_LIMITS, load_json_or_yaml, read_text

__all__ = [
    "SHORTHAND",
    "AttachedPolicy",
    "attach_policy",
    "attached_from_settings",
    "expand_shorthand",
    "shadow_from_settings",
]

SHORTHAND: Final = "execute-api:/"
_RESOURCE_KEYS: Final = ("Resource", "NotResource")


@dataclass(frozen=True, slots=True)
class AttachedPolicy:
    """A compiled policy, the document it came from (as stored), where it came from and when.

    ``statements`` (each statement's position, Sid, effect and text) is read once, when the
    policy is attached: decision events and shadow comparisons name statements by it.
    """

    compiled: CompiledPolicy
    document: Mapping[str, Any] = field(repr=False)
    source: str
    attached_at: float
    statements: tuple[StatementId, ...] = field(default=(), repr=False)

    @property
    def view(self) -> PolicyView:
        """The policy as ``authorize.difference`` compares it (``authorize.statements``)."""
        return PolicyView(self.compiled, self.statements)

    def statement(self, index: int) -> Mapping[str, Any] | None:
        """The stored document's statement at ``index`` (None when there is none)."""
        raw = self.document.get("Statement")
        items = [raw] if isinstance(raw, Mapping) else raw if isinstance(raw, list) else []
        item = items[index] if 0 <= index < len(items) else None
        return item if isinstance(item, Mapping) else None

    def text(self) -> str:
        """The document as one compact JSON string (the ``policy`` field of ``get-rest-api``)."""
        return json.dumps(self.document, separators=(",", ":"), default=str)


def attach_policy(
    document: str | bytes | Mapping[str, Any],
    *,
    api_arn: str,
    source: str,
    source_name: str | None = None,
    compiled: CompiledPolicy | None = None,
) -> AttachedPolicy:
    """Compile ``document`` for the API ``api_arn`` (raises ``PolicyError``) and keep it as stored."""
    if compiled is None:
        compiled = compile_policy(document, api_arn=api_arn, source_name=source_name, require_principal=True)
    stored = expand_shorthand(_as_mapping(document), api_arn)
    return AttachedPolicy(compiled, stored, source, time.time(), statement_ids(stored))


def attached_from_settings(settings: ApiSettings) -> AttachedPolicy | None:
    """The policy an ``ApiSettings`` was loaded with (compiled at load time), or None."""
    return _attached(settings.arn, settings.policy, settings.policy_source, settings.policy_document)


def shadow_from_settings(settings: ApiSettings) -> AttachedPolicy | None:
    """The shadow policy an ``ApiSettings`` was loaded with (``shadow_policy``), or None."""
    return _attached(
        settings.arn, settings.shadow_policy, settings.shadow_policy_source, settings.shadow_policy_document
    )


def _attached(
    api_arn: str,
    compiled: CompiledPolicy | None,
    source: str | None,
    document: str | Mapping[str, Any] | None,
) -> AttachedPolicy | None:
    if compiled is None:
        return None
    source = source or "inline policy"
    if document is None:  # settings built by hand: read the file back if there is one
        path = Path(source)
        document = read_text(path, POLICY_LIMITS) if path.is_file() else {}
    return attach_policy(document, api_arn=api_arn, source=source, compiled=compiled)


def _as_mapping(document: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    """The JSON object of an already valid document (JSON or YAML text, or a mapping)."""
    if isinstance(document, Mapping):
        return document
    loaded = load_json_or_yaml(document, POLICY_LIMITS)  # compiled already, so it reads
    return loaded if isinstance(loaded, Mapping) else {}


def expand_shorthand(document: Mapping[str, Any], api_arn: str) -> dict[str, Any]:
    """A copy of ``document`` with ``execute-api:/...`` resources spelled out, as AWS stores them."""
    out = dict(document)
    statements = out.get("Statement")
    if isinstance(statements, Mapping):
        out["Statement"] = _expand_statement(statements, api_arn)
    elif isinstance(statements, list):
        out["Statement"] = [_expand_statement(s, api_arn) if isinstance(s, Mapping) else s for s in statements]
    return out


def _expand_statement(statement: Mapping[str, Any], api_arn: str) -> dict[str, Any]:
    out = dict(statement)
    for key in _RESOURCE_KEYS:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = _expand(value, api_arn)
        elif isinstance(value, list):
            out[key] = [_expand(v, api_arn) if isinstance(v, str) else v for v in value]
    return out


def _expand(resource: str, api_arn: str) -> str:
    return api_arn + resource[len(SHORTHAND) - 1 :] if resource.startswith(SHORTHAND) else resource
