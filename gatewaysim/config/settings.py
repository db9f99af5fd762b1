"""The values ``gatewaysim serve`` runs on: ``Settings`` and its parts, frozen and validated.

``config.load`` builds them from a YAML file and flags; every other room reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from gatewaysim.arn import api_arn
from gatewaysim.config.auth import AuthSettings
from gatewaysim.config.door.keys import ApiKey, UsagePlan
from gatewaysim.config.door.settings import DoorSettings
from gatewaysim.config.door.throttle import Throttle
from gatewaysim.config.fields import IPNetwork
from gatewaysim.config.forward import ForwardSettings
from gatewaysim.config.functions import FunctionSettings
from gatewaysim.config.limits import ListenerLimits
from gatewaysim.config.live import DEFAULT_DECISIONS_RING, AdminSettings, ReloadSettings
from gatewaysim.config.serving import StoreSettings
from gatewaysim.config.stage_variables import StageVariables
from gatewaysim.config.template_keys import DEFAULT_API_ID
from gatewaysim.config.tls import TlsSettings
from gatewaysim.errors import Problem
from gatewaysim.lint.findings import Finding
from gatewaysim.policy import CompiledPolicy

if TYPE_CHECKING:
    from gatewaysim.imports import ApiModel

__all__ = ["DEFAULT_IDENTITY_HEADERS", "ApiSettings", "IdentitySettings", "LogSettings", "Settings"]

DEFAULT_IDENTITY_HEADERS: Final = (
    ("X-Gatewaysim-Source-Vpc", "aws:SourceVpc"),
    ("X-Gatewaysim-Source-Vpce", "aws:SourceVpce"),
)


@dataclass(frozen=True, slots=True)
class IdentitySettings:
    """How a request's identity is read: headers, trusted proxies, TLS override."""

    principal_header: str = "X-Gatewaysim-Principal"
    headers: tuple[tuple[str, str], ...] = DEFAULT_IDENTITY_HEADERS  # header -> context key
    trusted_proxies: tuple[IPNetwork, ...] = ()
    secure_transport: bool | None = None  # None: true exactly when the listener is TLS
    trust_headers_from: tuple[IPNetwork, ...] | None = None  # socket peers whose identity headers count; None: all


@dataclass(frozen=True, slots=True)
class LogSettings:
    """The access log (``json`` or ``text`` lines, to stderr or a file) and the decision log."""

    format: str = "json"
    file: str | None = None
    decisions_file: str | None = None  # JSON lines, one decision event a line (decisions.py)
    decisions_ring: int = DEFAULT_DECISIONS_RING  # how many decisions the admin API can show


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """One REST API: where it lives, its stages, its resource policy and its backend."""

    api_id: str = DEFAULT_API_ID
    account: str = "123456789012"
    region: str = "us-east-1"
    partition: str = "aws"
    stages: tuple[str, ...] = ("prod",)
    stage_variables: StageVariables = field(default_factory=dict)  # stage -> name -> value
    url_style: str = "stage"  # `stage`: /{stage}/{path} (AWS); `bare`: /{path}, the one stage implied
    policy: CompiledPolicy | None = None  # None: no resource policy (open, auth NONE)
    policy_source: str | None = None
    policy_document: str | Mapping[str, Any] | None = field(default=None, repr=False, compare=False)  # as given
    # evaluated for every request beside `policy`, never enforced (gateway.shadow); same forms as `policy`
    shadow_policy: CompiledPolicy | None = None
    shadow_policy_source: str | None = None
    shadow_policy_document: str | Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    backend: str | None = None  # None: the built-in demo backend
    binary_media_types: tuple[str, ...] = ()  # binaryMediaTypes: lower-case `type/subtype`, `*` allowed
    strip_stage: bool = True
    forward: ForwardSettings = field(default_factory=ForwardSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)  # routes, authorizers, flow (auth_config.py)
    door: DoorSettings = field(default_factory=DoorSettings)  # keys, throttling, validation, ... (config.door)
    # Served from a template/OpenAPI/Terraform file (config/template.py): the file, the API's name
    # there, and the whole model read from it (imports.ApiModel). What it asks for that gatewaysim
    # does not emulate is in ``Settings.warnings``, located in the file.
    template_file: str | None = None
    template_api: str | None = None
    model: ApiModel | None = field(default=None, repr=False, compare=False)

    @property
    def arn(self) -> str:
        """``arn:aws:execute-api:{region}:{account}:{api-id}``."""
        return api_arn(self.region, self.account, self.api_id, self.partition)

    def variables(self, stage: str) -> Mapping[str, str]:
        """The stage variables of ``stage`` (empty when it has none)."""
        return self.stage_variables.get(stage, _NO_VARIABLES)


_NO_VARIABLES: Final[Mapping[str, str]] = {}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``gatewaysim serve`` needs, validated."""

    apis: tuple[ApiSettings, ...] = (ApiSettings(),)
    host: str = "127.0.0.1"
    port: int = 8080
    identity: IdentitySettings = field(default_factory=IdentitySettings)
    log: LogSettings = field(default_factory=LogSettings)
    shutdown_timeout_s: float = 10.0
    admin: AdminSettings = field(default_factory=AdminSettings)
    reload: ReloadSettings = field(default_factory=ReloadSettings)
    functions: Mapping[str, FunctionSettings] = field(default_factory=dict)  # AWS_PROXY functions by name
    warnings: tuple[Problem, ...] = ()  # what AWS has and gatewaysim does not emulate (the config loads)
    source: str | None = None
    api_keys: tuple[ApiKey, ...] = ()  # account-level, shared by the APIs (config.door.keys)
    usage_plans: tuple[UsagePlan, ...] = ()
    account_throttling: Throttle | None = None  # AWS: 10,000 rps, burst 5,000 per account and region; off here
    findings: tuple[Finding, ...] = ()  # what names something undeclared, and other traps (config.door.references)
    limits: ListenerLimits = field(default_factory=ListenerLimits)  # what one client may cost (config.limits)
    tls: TlsSettings | None = None  # the TLS listener, mutual TLS (config.tls); None: plain HTTP
    loop: str | None = None  # uvloop | asyncio; None: uvloop where installed (config.serving)
    workers: int = 1  # processes sharing the port (gateway.workers)
    store: StoreSettings | None = None  # the shared store (Redis); None: in-process state
