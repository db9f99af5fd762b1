"""What ``gatewaysim serve`` prints at start: where it listens, what it enforces, what it warns about."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from gatewaysim.config.auth import AuthSettings
from gatewaysim.config.routes import Route
from gatewaysim.gateway.dispatch import invoke_urls
from gatewaysim.policy import CompiledPolicy, Statement

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gatewaysim.config.door.keys import ApiKey
    from gatewaysim.config.load import Settings
    from gatewaysim.gateway.runtime import ApiRuntime

__all__ = ["banner", "describe_methods", "describe_policy", "describe_statement"]


def describe_statement(statement: Statement) -> str:
    """``Statement[0] Allow * execute-api:Invoke on arn:... when IpAddress aws:SourceIp in a, b``."""
    spec = statement.principal or statement.not_principal
    who = "(no principal)"
    if spec is not None:
        names = sorted([*spec.accounts, *(f"role {a}:{n}" for a, n in spec.roles), *spec.exact])
        who = "*" if spec.everyone else ", ".join(names)
        who = f"not {who}" if statement.not_principal is not None else who
    actions = statement.action or statement.not_action or ()
    resources = statement.resource or statement.not_resource or ()
    text = (
        f"Statement[{statement.index}]{f' ({statement.sid})' if statement.sid else ''} {statement.effect} "
        f"{who} {'NOT ' if statement.not_action else ''}{', '.join(actions)} "
        f"on {'NOT ' if statement.not_resource else ''}{', '.join(resources)}"
    )
    conditions = [f"{c.operator} {c.key} in {', '.join(c.values)}" for c in statement.condition]
    return text + (" when " + " and ".join(conditions) if conditions else "")


def describe_policy(policy: CompiledPolicy) -> list[str]:
    """One line per statement."""
    return [describe_statement(s) for s in policy.policy.statements]


def _method_auth(route: Route) -> str:
    text = route.authorization_type.value
    if route.authorizer is not None:
        text += f" ({route.authorizer})"
    if route.authorization_scopes:
        text += f", scopes {', '.join(route.authorization_scopes)}"
    integration = route.integration
    if integration is not None:
        target = integration.function or integration.uri
        text += f"; {integration.type.value}{f' {target}' if target else ''}"
    return text


def describe_methods(auth: AuthSettings) -> list[str]:
    """How each method is authorized and integrated: ``GET /pets/{petId} -> CUSTOM (tenants); AWS_PROXY pets``."""
    if auth.catch_all:
        return [f"methods: every path and method -> {_method_auth(auth.default or Route('/'))}"]
    other = _method_auth(auth.default) if auth.default is not None else "403 Missing Authentication Token"
    return [
        "methods:",
        *(f"  {route.method} {route.resource} -> {_method_auth(route)}" for route in auth.routes),
        f"  any other -> {other}",
    ]


def banner(
    settings: Settings,
    apis: Mapping[str, ApiRuntime],
    url: str,
    serving: Sequence[str] = (),
    keys: Sequence[ApiKey] | None = None,
) -> str:
    """The start-up text: listener, each API's stages, methods, policy and backend, identity rules, log.

    ``serving``: lines on how it runs (event loop, workers, store), printed before the health line;
    ``keys``: the API keys the gateway serves (with a store, a generated value may be another
    process's: ``gateway.live_shared``), else the config's.
    """
    from gatewaysim import __version__

    lines = [f"gatewaysim {__version__} listening on {url}"]
    holders = Counter(stage for runtime in apis.values() for stage in runtime.settings.stages)
    for runtime in apis.values():
        api = runtime.settings
        origin = f", `{api.template_api}` of {api.template_file}" if api.template_file else ""
        lines.append(f"  api {api.api_id} (account {api.account}, {api.region}{origin})")
        single = len(apis) == 1
        lines.extend(
            f"    invoke url: {u}"
            for stage in api.stages
            for u in invoke_urls(url, api.api_id, stage, single=single, unique=holders[stage] == 1)
        )
        lines.extend(f"    {line}" for line in describe_methods(api.auth))
        if api.policy is None:
            lines.append("    resource policy: none - every request is allowed (auth NONE, no policy)")
        else:
            lines.append(f"    resource policy: {api.policy_source} - a request needs an explicit Allow")
            lines.extend(f"      {line}" for line in describe_policy(api.policy))
        if api.backend is None:
            lines.append(f"    backend: built-in demo backend {runtime.backend_url} (echoes requests as JSON)")
        else:
            lines.append(f"    backend: {api.backend}")
    identity = settings.identity
    proxies = ", ".join(str(n) for n in identity.trusted_proxies)
    lines.append(
        f"  source ip: socket peer; X-Forwarded-For trusted from {proxies}"
        if proxies
        else "  source ip: socket peer; X-Forwarded-For ignored (no trusted proxies)"
    )
    headers = [f"{identity.principal_header} -> principal", *(f"{h} -> {k}" for h, k in identity.headers)]
    believed = identity.trust_headers_from
    only = "" if believed is None else f" (believed only from {', '.join(str(n) for n in believed) or 'nobody'})"
    lines.append(f"  identity headers: {'; '.join(headers)}{only}")
    lines.extend(door_lines(settings, keys))
    lines.append(f"  access log: {settings.log.file or 'stderr'} ({settings.log.format})")
    where = f"config `{settings.source}`" if settings.source else "config"
    lines.extend(f"  warning: {problem.render(where)}" for problem in settings.warnings)
    lines.extend(f"  {line}" for line in serving)
    lines.append(f"  health: {url}/_gatewaysim/health")  # last: readers wait for this line
    return "\n".join(lines)


def door_lines(settings: Settings, keys: Sequence[ApiKey] | None = None) -> list[str]:
    """The API keys (a generated value in full: this is where the user learns it) and the door warnings."""
    lines = []
    for key in settings.api_keys if keys is None else keys:
        value = f"{key.value} (generated)" if key.generated else key.masked
        lines.append(f"  api key {key.name} ({key.key_id}): {value}{'' if key.enabled else ' - disabled'}")
    lines.extend(f"  warning: {finding.render()}" for finding in settings.findings)
    return lines
