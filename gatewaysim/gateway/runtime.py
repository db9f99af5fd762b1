"""One API while the gateway serves it: settings, forwarder, authorizers, the live policy and shadow.

The admin API and hot reload replace ``attached`` (and ``shadow``) with one assignment; the
request path reads ``attached`` once per request, and ``shadow`` once after the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gatewaysim.authorizers.base import Authorizer
from gatewaysim.config.load import ApiSettings
from gatewaysim.gateway.attached import AttachedPolicy, attached_from_settings, shadow_from_settings
from gatewaysim.gateway.door.validation import ModelValidators, build_model_validators
from gatewaysim.gateway.responses import DEFAULT_RESPONSES, GatewayResponses
from gatewaysim.integrations.http_proxy.forwarder import Forwarder
from gatewaysim.policy import CompiledPolicy

__all__ = ["ApiRuntime"]


@dataclass(slots=True)
class ApiRuntime:
    """One API while serving: its settings, forwarder, authorizers and resolved backend URL."""

    settings: ApiSettings
    forwarder: Forwarder
    authorizers: Mapping[str, Authorizer] = field(default_factory=dict)  # built at app start, by name
    backend_url: str = ""
    # The live resource policy: the admin API and hot reload replace it with one assignment.
    attached: AttachedPolicy | None = None
    responses: GatewayResponses = DEFAULT_RESPONSES  # the API's gateway responses, customised or not
    # The shadow policy: decides every request again, never enforced (gateway.shadow).
    shadow: AttachedPolicy | None = None
    models: ModelValidators | None = None  # a draft-4 validator per model (only when the API has models)

    def __post_init__(self) -> None:
        if self.attached is None:
            self.attached = attached_from_settings(self.settings)
        if self.settings.door.gateway_responses:
            self.responses = GatewayResponses(self.settings.door.gateway_responses)
        if self.shadow is None:
            self.shadow = shadow_from_settings(self.settings)
        if self.settings.door.models:
            self.models = build_model_validators(self.settings)

    @property
    def policy(self) -> CompiledPolicy | None:
        """The resource policy attached now (None: the API has none); read once per request."""
        attached = self.attached
        return attached.compiled if attached is not None else None
