"""Settings: a YAML config file plus command-line flags -> frozen ``Settings`` (flags win).

The simple form declares one API under ``api:``; the general form lists several under ``apis:``
(same keys; the gateway then picks the API by the Host ``{api-id}.execute-api.localhost`` or
the path prefix ``/restapis/{api-id}/{stage}/_user_request_/``, see ``gatewaysim.gateway.dispatch``)::

    host: 127.0.0.1
    port: 8080
    api:
      id: abcdef1234
      account: "123456789012"
      region: us-east-1
      stages: [prod]
      stage_variables: {prod: {backendHost: api.example.com}}   # per stage (stage_variables.py)
      url_style: stage                 # `/{stage}/{path}` as AWS; `bare`: `/{path}` (one stage, as sam local)
      policy: default-policy.json      # relative to this file; a mapping inline; null = none
      backend: http://127.0.0.1:9000   # or `demo` (the built-in echo backend)
      binary_media_types: [image/png]  # binaryMediaTypes (spec 18.7)
      routes: [...]                    # each may carry an `integration` (integration.py)
    functions: {hello: {handler: app.lambda_handler, code: fn/}}   # AWS_PROXY functions (functions.py)
    identity: {trusted_proxies: [10.0.0.0/8]}
    log: {format: json, file: null, decisions_file: null, decisions_ring: 1000}
    admin: {enabled: true, token: null, allow_remote: false}   # /_gatewaysim/ (live_settings.py)
    reload: {enabled: true, interval_s: 0.5}                    # hot reload (--no-reload)
    loop: uvloop                                                # or asyncio; workers, store (serving.py)

Every problem is collected and reported at once, each located as ``config `file`: json.path:
message``; unknown keys are errors. What AWS has but gatewaysim does not emulate is a warning
(``Settings.warnings``, located the same way); the config still loads. A policy that fails to
parse is reported as a ``PolicyError`` located in its own file. With neither ``policy`` nor
``backend`` (nor a method with its own integration) given, an API gets the embedded default: the
seed's corporate-network policy in front of the demo backend. With a backend (or methods with
their own integrations) but no policy the API is open: API Gateway treats an API without a
resource policy (auth type NONE) as allowing every caller.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from gatewaysim.config import fields as f
from gatewaysim.config import live
from gatewaysim.config.auth import AUTH_FIELDS, AUTH_KEYS, parse_auth
from gatewaysim.config.door import keys as door_keys
from gatewaysim.config.door.cors import with_preflights
from gatewaysim.config.door.references import reference_findings
from gatewaysim.config.door.settings import DOOR_FIELDS, DOOR_KEYS, parse_door, template_keys
from gatewaysim.config.door.throttle import throttle
from gatewaysim.config.environment import expand_environment
from gatewaysim.config.fields import INVALID, Checker
from gatewaysim.config.forward import ForwardSettings
from gatewaysim.config.functions import functions_section
from gatewaysim.config.limits import limits_section
from gatewaysim.config.policies import (
    DEFAULT_POLICY_SOURCE,
    NO_POLICY,
    LoadedPolicy,
    default_policy_text,
    load_policy,
    raise_problems,
    template_policy,
)
from gatewaysim.config.serving import SERVING_FIELDS
from gatewaysim.config.settings import ApiSettings, IdentitySettings, LogSettings, Settings
from gatewaysim.config.stage_variables import stage_variables_section
from gatewaysim.config.template_keys import TEMPLATE_FIELDS, TEMPLATE_KEYS
from gatewaysim.errors import ConfigError, DocumentError, Problem
from gatewaysim.lint.findings import ERROR
from gatewaysim.safeload import load_yaml, read_text
from gatewaysim.suggest import did_you_mean

if TYPE_CHECKING:
    from gatewaysim.config.template import FromTemplate

__all__ = [
    "DEFAULT_POLICY_SOURCE",
    "FLAGS",
    "ApiSettings",
    "IdentitySettings",
    "LogSettings",
    "Settings",
    "build_settings",
    "default_policy_text",
    "load_settings",
]

# override name -> (config path in the single-API form, flag that sets it)
FLAGS: Final[Mapping[str, tuple[str, str]]] = {
    "host": ("host", "--host"),
    "port": ("port", "--port"),
    "log_format": ("log.format", "--log-format"),
    "log_file": ("log.file", "--log-file"),
    "trusted_proxies": ("identity.trusted_proxies", "--trusted-proxy"),
    "policy": ("api.policy", "--policy"),
    "backend": ("api.backend", "--backend"),
    "api_id": ("api.id", "--api-id"),
    "template": ("api.template", "--template"),
    "template_api": ("api.template_api", "--api"),
    "parameters": ("api.parameters", "--parameter-overrides"),
    "policy_from": ("api.policy_from", "--policy-from"),
    "url_style": ("api.url_style", "--url-style"),
    "account": ("api.account", "--account"),
    "region": ("api.region", "--region"),
    "stages": ("api.stages", "--stage"),
    "reload": ("reload.enabled", "--no-reload"),
    "reload_interval": ("reload.interval_s", "--reload-interval"),
    "reload_functions": ("reload.functions", "--reload-functions"),
    "decisions_file": ("log.decisions_file", "--decisions-file"),
    "loop": ("loop", "--loop"),
    "workers": ("workers", "--workers"),
    "store": ("store", "--store"),
}

_FORWARD_FIELDS: Final[f.Table] = {
    "timeout_s": f.positive_number,
    "max_body_bytes": f.positive_int,
    "connect_timeout_s": f.positive_number,
    "pool_limit": f.positive_int,
    "stream_uploads": f.boolean,
}
_IDENTITY_FIELDS: Final[f.Table] = {
    "principal_header": f.identity_header,
    "headers": f.context_headers,
    "trusted_proxies": f.networks,
    "secure_transport": f.optional_bool,
    "trust_headers_from": f.networks,
}
_LOG_FIELDS: Final[f.Table] = {
    "format": f.choice("json", "text"),
    "file": f.optional_string,
    "decisions_file": f.optional_string,
    "decisions_ring": f.positive_int,
}
_API_FIELDS: Final[f.Table] = {
    "id": f.api_id,
    "account": f.account,
    "region": f.region,
    "partition": f.partition,
    "stages": f.stages,
    "stage_variables": stage_variables_section,
    "url_style": f.choice("stage", "bare"),
    "policy": f.policy_ref,
    "shadow_policy": f.policy_ref,
    "backend": f.backend,
    "binary_media_types": f.media_types,
    "strip_stage": f.boolean,
    "forward": lambda c, path, raw: ForwardSettings(**c.section(path, raw, _FORWARD_FIELDS)),
    **AUTH_FIELDS,  # routes, authorizers, flow ...: checked together by auth_config.parse_auth
    **DOOR_FIELDS,  # api keys, throttling, gateway responses, validation, cors: config.door.settings.parse_door
    **TEMPLATE_FIELDS,  # template, openapi, template_api, parameters, policy_from (config/template.py)
}
_API_ATTRS: Final = {"id": "api_id"}
_TOP_FIELDS: Final[f.Table] = {
    "host": f.host,
    "port": f.port,
    "shutdown_timeout_s": f.non_negative_number,
    "identity": lambda c, path, raw: _identity(c, path, c.section(path, raw, _IDENTITY_FIELDS)),
    "log": lambda c, path, raw: LogSettings(**c.section(path, raw, _LOG_FIELDS)),
    "admin": live.admin_section,
    "reload": live.reload_section,
    "api": lambda c, path, raw: raw,  # parsed below, once the file's directory is known
    "apis": lambda c, path, raw: raw,
    "api_keys": door_keys.api_keys,
    "usage_plans": door_keys.usage_plans,
    "account_throttling": throttle,
    "functions": lambda c, path, raw: raw,
    "limits": limits_section,
    "tls": lambda c, path, raw: raw,  # parsed below, once the file's directory is known
    **SERVING_FIELDS,  # loop, workers, store (config/serving.py)
}


def load_settings(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None, *, strict: bool = True
) -> Settings:
    """Read the YAML config at ``path`` (if any), apply ``overrides`` (flags), validate everything.

    ``strict`` (serving): a reference to something undeclared (a plan's unknown stage, an unknown
    key or model) is a config error, as AWS refuses to deploy it; otherwise (``check``) it is kept
    in ``Settings.findings``.
    """
    if path is None:
        return build_settings({}, overrides=overrides, strict=strict)
    file = Path(path)
    try:
        raw = load_yaml(read_text(file))  # SECURITY: size, depth and alias limits (gatewaysim.safeload)
    except OSError as exc:
        raise ConfigError([Problem("", f"cannot read the file: {exc.strerror}")], str(file)) from exc
    except DocumentError as exc:
        raise ConfigError(exc.problems, str(file)) from None
    unset: list[Problem] = []
    raw = expand_environment(raw, os.environ, unset)  # ${NAME:-default} (gatewaysim.config.environment)
    if unset:
        raise ConfigError(unset, str(file))
    return build_settings(
        {} if raw is None else raw, source=str(file), base_dir=file.parent, overrides=overrides, strict=strict
    )


def build_settings(
    raw: Mapping[str, Any],
    *,
    source: str | None = None,
    base_dir: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    strict: bool = True,
) -> Settings:
    """Validate a config mapping plus overrides (flag names from ``FLAGS`` or any config key)."""
    checker = Checker()
    if not isinstance(raw, Mapping):
        raise ConfigError([Problem("", "the config must be a mapping")], source)
    doc = _overlay(checker, dict(copy.deepcopy(raw)), overrides or {})
    top = checker.section("", doc, _TOP_FIELDS)
    if "api" in top and "apis" in top:
        checker.add("apis", "give either `api` (one API) or `apis` (a list), not both")
    functions = functions_section(checker, "functions", top.get("functions"), base_dir or Path.cwd())
    if "tls" in top:
        from gatewaysim.config.tls import tls_section  # only with a TLS listener

        top["tls"] = tls_section(checker, "tls", top["tls"], base_dir or Path.cwd())
        if top["tls"] is INVALID:
            del top["tls"]
    declared = top.get("functions") or {}
    checker.functions = frozenset(map(str, declared)) if isinstance(declared, Mapping) else None  # bad ones too
    apis = _parse_apis(checker, top, base_dir or Path.cwd())
    functions = {**checker.template_functions, **functions}  # a template's Python functions; the config's win
    top.update(template_keys(checker, top, apis))
    rest = {k: v for k, v in top.items() if k not in ("api", "apis", "functions")}
    settings = Settings(apis=apis, source=source, functions=functions, warnings=tuple(checker.warnings), **rest)
    raise_problems(checker, source)
    findings = tuple(reference_findings(settings, "apis" if "apis" in top else "api"))
    if strict:
        for finding in findings:
            if finding.severity == ERROR:
                checker.add(finding.path, finding.message)
        raise_problems(checker, source)
    return dataclasses.replace(settings, findings=findings)


def _overlay(checker: Checker, doc: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Write each override into the config document, remembering which flag set which path."""
    for name, value in overrides.items():
        if value is None:
            continue
        path, flag = FLAGS.get(name, (_override_path(name), name))
        if not path:
            checker.add(name, f"unknown setting `{name}`{did_you_mean(name, [*FLAGS, *_TOP_FIELDS, *_API_FIELDS])}")
            continue
        parent, _, key = path.rpartition(".")
        if parent == "api" and "apis" in doc:
            apis = doc["apis"]
            if not isinstance(apis, list) or len(apis) != 1:
                checker.add(flag, "only applies to a single API; the config declares `apis`")
                continue
            node, path = apis[0], f"apis[0].{key}"
        else:
            node = doc.setdefault(parent, {}) if parent else doc
        if isinstance(node, dict):  # otherwise the file's own error is reported
            node[key] = value
            checker.origins[path] = flag
    return doc


def _override_path(name: str) -> str:
    """Config path for an override that is not a flag: a top-level or an API key."""
    return name if name in _TOP_FIELDS else f"api.{name}" if name in _API_FIELDS else ""


def _identity(checker: Checker, path: str, fields: dict[str, Any]) -> IdentitySettings:
    """``IdentitySettings``; the principal header may not also be a context header."""
    settings = IdentitySettings(**fields)
    principal = settings.principal_header.lower()
    if any(name.lower() == principal for name, _ in settings.headers):
        checker.add(f"{path}.headers", f"`{settings.principal_header}` is already the principal header")
    return settings


def _parse_apis(checker: Checker, top: Mapping[str, Any], base_dir: Path) -> tuple[ApiSettings, ...]:
    if "apis" not in top:
        return tuple(_parse_api(checker, "api", top.get("api"), base_dir))
    entries = top["apis"]
    if not isinstance(entries, list) or not entries:
        checker.add("apis", "must be a non-empty list of APIs")
        return ()
    apis = tuple(api for i, entry in enumerate(entries) for api in _parse_api(checker, f"apis[{i}]", entry, base_dir))
    seen: set[str] = set()
    for i, api in enumerate(apis):
        if api.api_id in seen:
            checker.add(f"apis[{i}].id", f"api id `{api.api_id}` is declared twice")
        seen.add(api.api_id)
    return apis


def _parse_api(checker: Checker, path: str, raw: Any, base_dir: Path) -> list[ApiSettings]:
    """The API at ``path``; several when it names a template with several APIs (all are served)."""
    if raw is not None and not isinstance(raw, Mapping):
        checker.add(path, "must be a mapping")
        return []
    given = raw or {}
    fields = checker.section(path, given, _API_FIELDS)
    known = {"account": fields.get("account", "123456789012"), "region": fields.get("region", "us-east-1")}
    if "id" in fields:
        known["api_id"] = fields["id"]
    templated = None
    if "template" in fields or "openapi" in fields:  # the readers, only for an API served from a file
        from gatewaysim.config.template import load_template_apis

        templated = load_template_apis(checker, path, fields, base_dir, known)
    if templated is None:
        api = _one_api(checker, path, given, fields, base_dir, None)
        return [api] if api is not None else []
    if len(templated) > 1 and "id" in given:
        checker.add(f"{path}.id", "the template has several APIs, each with its own id; choose one with `template_api`")
    return [api for item in templated if (api := _one_api(checker, path, given, fields, base_dir, item)) is not None]


def _one_api(
    checker: Checker,
    path: str,
    given: Mapping[str, Any],
    parsed: Mapping[str, Any],
    base_dir: Path,
    item: FromTemplate | None,
) -> ApiSettings | None:
    """One API from its checked fields, and from the file it is served from (``item``) if any."""
    fields = dict(parsed)
    policy_ref = fields.pop("policy", f.ABSENT if "policy" not in given else None)
    shadow_ref = fields.pop("shadow_policy", None)
    auth_raw: dict[str, Any] = {key: fields.pop(key) for key in AUTH_KEYS if key in fields}
    door_raw: dict[str, Any] = {key: fields.pop(key) for key in DOOR_KEYS if key in fields}
    for key in TEMPLATE_KEYS:
        fields.pop(key, None)
    imported = None
    if item is not None:
        from gatewaysim.config.template import imported_auth, template_stages
        from gatewaysim.config.template_integrations import template_functions

        fields.update(template_stages(checker, path, item, given, fields), id=item.api_id)
        fields.update(template_file=str(item.file), template_api=item.model.name, model=item.model)
        if "binary_media_types" not in given and item.model.binary_media_types:
            where = f"{path}.{item.key}: binaryMediaTypes"
            fields["binary_media_types"] = f.media_types(checker, where, list(item.model.binary_media_types))
        declared = checker.functions or frozenset()
        found = template_functions(checker, f"{path}.{item.key}", item.model, item.file, declared)
        checker.template_functions.update(found)
        checker.functions = declared | frozenset(checker.template_functions)
        warnings = list(item.warnings)
        imported = imported_auth(item, checker.functions, warnings)
        checker.warnings.extend(w for w in warnings if w not in checker.warnings)  # located in the file
    kwargs = {_API_ATTRS.get(k, k): v for k, v in fields.items()}
    try:
        api = ApiSettings(**kwargs)
    except TypeError:  # pragma: no cover - every key is in the table
        return None
    if auth_raw or imported is not None:
        kwargs["auth"] = parse_auth(checker, path, auth_raw, base_dir, api.region, imported)
    if item is not None and item.model.door:  # the file's door keys; the config's own win
        door_raw = {**item.model.door, **door_raw}
    if door_raw:
        kwargs["door"] = door = parse_door(checker, path, door_raw, api.stages)
        if door.cors is not None:  # an OPTIONS MOCK for every resource without one (config.door.cors)
            kwargs["auth"] = with_preflights(kwargs.get("auth", api.auth), door.cors)
    if auth_raw or door_raw or imported is not None:
        api = ApiSettings(**kwargs)
    _check_stages(checker, path, api)
    known = {
        "account": api.account,
        "region": api.region,
        "api_id": api.api_id,
        "arn": api.arn,
        "parameters": given.get("parameters"),
        "template_api": given.get("template_api"),
    }
    if shadow_ref is not None:
        shadow = load_policy(checker, f"{path}.shadow_policy", shadow_ref, known, base_dir, False)
        kwargs.update(zip(("shadow_policy", "shadow_policy_source", "shadow_policy_document"), shadow, strict=True))
        api = ApiSettings(**kwargs)
    integrated = any(route.integration is not None for route in api.auth.routes)
    if policy_ref is f.ABSENT and ("backend" in given or integrated) and item is None:
        return api  # a backend (or methods with their own integrations) but no policy: open, as on AWS
    from_flag = checker.origins.get(f"{path}.policy") is not None
    loaded: LoadedPolicy = NO_POLICY
    if policy_ref is not f.ABSENT or item is None:
        loaded = load_policy(checker, f"{path}.policy", policy_ref, known, base_dir, from_flag)
    if item is not None:
        loaded = template_policy(checker, path, item, given, loaded, api.arn)
    policy, label, document = loaded
    return ApiSettings(**{**kwargs, "policy": policy, "policy_source": label, "policy_document": document})


def _check_stages(checker: Checker, path: str, api: ApiSettings) -> None:
    """Stage variables name served stages; ``url_style: bare`` serves exactly one stage."""
    for stage in api.stage_variables:
        if stage not in api.stages:
            served = ", ".join(f"`{s}`" for s in api.stages)
            checker.add(f"{path}.stage_variables.{stage}", f"`{stage}` is not a stage of this api (stages: {served})")
    if api.url_style == "bare" and len(api.stages) != 1:
        served = ", ".join(f"`{s}`" for s in api.stages)
        checker.add(f"{path}.url_style", f"`bare` serves one stage; choose one in `stages` (now {served})")
