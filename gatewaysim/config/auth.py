"""The auth keys of one API's config -> ``AuthSettings``: routes, authorizers, OpenAPI import, flow.

::

    api:
      authorization_type: NONE     # the API's default method auth: NONE | CUSTOM | AWS_IAM | COGNITO_USER_POOLS
      authorizer: tokens           # its authorizer (CUSTOM, COGNITO_USER_POOLS)
      authorization_scopes: []     # its OAuth scopes (COGNITO_USER_POOLS)
      routes:                      # absent: every path of a known stage is a method with the defaults above
        - {resource: "/pets/{petId}", method: [GET, POST], authorizationType: CUSTOM, authorizer: tokens}
      default_route: true          # with routes: unmatched requests use the defaults (or a mapping) instead
                                   # of 403 Missing Authentication Token
      openapi: api.yaml            # routes and authorizers from a file (config/template.py; before `routes`)
      authorizers:                 # name -> definition (see gatewaysim.authorizers.registry)
        tokens: {type: TOKEN, handler: "authz.py:handler"}
      flow: {cognito_requires_policy_allow: true}

A route without ``authorizationType`` takes the API's defaults. An authorizer the OpenAPI file
declares is completed (or overridden) by the ``authorizers`` entry of the same name: a Lambda one
needs a ``handler`` or ``url`` there; a Cognito one may take ``jwks`` (applied to each of its user
pools) or a whole ``user_pools`` list. ``AWS_IAM`` methods use the API's one ``AWS_IAM``
authorizer (its credential store). Every problem is recorded on the config ``Checker``, located.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from gatewaysim.authorizers.base import Authorizer, AuthType
from gatewaysim.config import fields as f
from gatewaysim.config.fields import Checker
from gatewaysim.config.flow import DEFAULT_SETTINGS, FlowSettings
from gatewaysim.config.integration import IntegrationType
from gatewaysim.config.routes import Route, RouteMatch, RouteTable
from gatewaysim.errors import ConfigError, Problem

if TYPE_CHECKING:
    import aiohttp

    from gatewaysim.config.template import ImportedAuth

__all__ = ["DEFAULT_SETTINGS", "FlowSettings", "AUTH_FIELDS", "AUTH_KEYS", "AuthSettings", "parse_auth"]

AUTH_KEYS: Final = (
    "authorization_type",
    "authorizer",
    "authorization_scopes",
    "routes",
    "default_route",
    "authorizers",
    "flow",
)
# The keys pass the API table as they are; ``parse_auth`` checks them together.
AUTH_FIELDS: Final[f.Table] = {key: (lambda c, path, raw: raw) for key in AUTH_KEYS}
_FLOW_FIELDS: Final[f.Table] = {"cognito_requires_policy_allow": f.boolean}
# authorizationType -> the authorizer types that may serve it
_SERVES: Final[Mapping[AuthType, frozenset[str]]] = {
    AuthType.CUSTOM: frozenset({"TOKEN", "REQUEST", "PLUGIN"}),
    AuthType.COGNITO_USER_POOLS: frozenset({"COGNITO_USER_POOLS", "PLUGIN"}),
}
_LAMBDA_TYPES: Final = frozenset({"TOKEN", "REQUEST"})


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """One API's methods and authorizer definitions, validated; authorizers are built per app start."""

    routes: tuple[Route, ...] = ()
    default: Route | None = Route("/", authorization_type=AuthType.NONE)  # None: unmatched -> 403
    catch_all: bool = True  # no routes declared: every path is a method with ``default``'s auth
    authorizers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    iam_authorizer: str | None = None
    flow: FlowSettings = DEFAULT_SETTINGS
    base_dir: Path | None = None
    region: str = "us-east-1"
    path: str = "api"
    table: RouteTable = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.catch_all:
            d = self.default or Route("/")
            table = RouteTable.catch_all(d.authorization_type, d.authorizer, d.authorization_scopes)
        else:
            table = RouteTable(self.routes, self.default)
        object.__setattr__(self, "table", table)

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The method serving ``method path`` (path without stage), or None (403 Missing Authentication Token)."""
        return self.table.match(method, path)

    @property
    def calls_functions(self) -> bool:
        """True when a method (the default one too) has an ``AWS_PROXY`` integration: a Lambda function."""
        routes = (*self.routes, *((self.default,) if self.default is not None else ()))
        return any(r.integration is not None and r.integration.type is IntegrationType.AWS_PROXY for r in routes)

    def authorizer_name(self, route: Route) -> str | None:
        """The authorizer a method uses: its own, the API's ``AWS_IAM`` one, or None for NONE."""
        if route.authorization_type is AuthType.AWS_IAM:
            return self.iam_authorizer
        return route.authorizer if route.authorization_type is not AuthType.NONE else None

    def build(self, session: aiohttp.ClientSession | None = None) -> dict[str, Authorizer]:
        """Build every authorizer (HTTP endpoints share ``session``); raises ``ConfigError``."""
        from gatewaysim.authorizers.registry import build_authorizers  # only for an API with authorizers

        return build_authorizers(
            self.authorizers,
            base_dir=self.base_dir,
            region=self.region,
            session=session,
            path=f"{self.path}.authorizers",
        )


def parse_auth(
    checker: Checker,
    path: str,
    raw: Mapping[str, Any],
    base_dir: Path,
    region: str,
    imported: ImportedAuth | None = None,
) -> AuthSettings:
    """Check the auth keys of the API at ``path`` (``raw`` holds only ``AUTH_KEYS``) into ``AuthSettings``;
    ``imported`` is what a ``template``/``openapi`` file declares (its methods come first)."""
    defaults = _defaults(checker, path, raw)
    flow = FlowSettings(**checker.section(f"{path}.flow", raw.get("flow"), _FLOW_FIELDS))
    definitions = _authorizers(checker, path, raw.get("authorizers"), imported)
    kinds = {name: str(d.get("type", "TOKEN")).upper() for name, d in definitions.items()}
    routes = _routes(checker, path, raw, imported, defaults)
    default_at = _default_route(checker, path, raw, defaults, imported is not None)
    default = default_at[1] if default_at is not None else None
    located = [*routes, *([default_at] if default_at is not None else [])]
    iam = _check_references(checker, path, located, kinds)
    declared = tuple(route for _, route in routes)
    settings = AuthSettings(
        routes=() if _table_problem(checker, path, declared) else declared,
        default=default,
        catch_all="routes" not in raw and imported is None,
        authorizers=definitions,
        iam_authorizer=iam,
        flow=flow,
        base_dir=base_dir,
        region=region,
        path=path,
    )
    _try_build(checker, settings)
    return settings


def _defaults(checker: Checker, path: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The API-level method auth, in route-item form."""
    out: dict[str, Any] = {}
    keys = {"authorization_type": "authorizationType", "authorizer": "authorizer"}
    keys["authorization_scopes"] = "authorizationScopes"
    for key, item_key in keys.items():
        if key in raw:
            out[item_key] = raw[key]
    if out.get("authorizationType") is None:
        out["authorizationType"] = "NONE"
    return out


def _authorizers(checker: Checker, path: str, raw: Any, imported: ImportedAuth | None) -> dict[str, Mapping[str, Any]]:
    """The definitions by name: the file's, completed by the config's, plus the config's own."""
    given: Mapping[str, Any] = {}
    if raw is not None and not isinstance(raw, Mapping):
        checker.add(f"{path}.authorizers", "must be a mapping of authorizer name to definition")
    elif raw is not None:
        given = raw
    out: dict[str, Mapping[str, Any]] = {}
    for name, definition in given.items():
        if not isinstance(definition, Mapping):
            checker.add(f"{path}.authorizers.{name}", "must be a mapping")
        else:
            out[str(name)] = definition
    for name, definition in (imported.authorizers if imported else {}).items():
        where = f"{path}.authorizers.{name}"
        out[name] = _complete(checker, where, definition, out.get(name, {}), imported.origin if imported else "")
    return out


def _complete(
    checker: Checker, where: str, imported: Mapping[str, Any], given: Mapping[str, Any], origin: str
) -> dict[str, Any]:
    merged = {**imported, **given}
    if "jwks" in given and merged.get("type") == "COGNITO_USER_POOLS":
        pools = merged.get("user_pools")
        if "user_pools" not in given and isinstance(pools, list):
            merged["user_pools"] = [{**pool, "jwks": given["jwks"]} for pool in pools if isinstance(pool, Mapping)]
        del merged["jwks"]
    if str(merged.get("type")).upper() in _LAMBDA_TYPES and "handler" not in merged and "url" not in merged:
        checker.add(where, f"comes from {origin}; give it a `handler` or `url` here (its Lambda cannot run)")
    return merged


def _route_items(raw: Any, defaults: Mapping[str, Any]) -> list[Any]:
    items = raw if isinstance(raw, list) else []
    return [
        {**defaults, **item} if isinstance(item, Mapping) and "authorizationType" not in item else item
        for item in items
    ]


def _routes(
    checker: Checker,
    path: str,
    raw: Mapping[str, Any],
    imported: ImportedAuth | None,
    defaults: Mapping[str, Any],
) -> list[tuple[str, Route]]:
    """Every declared method with the place it was declared: the file's first."""
    located: list[tuple[str, Route]] = []
    if imported is not None:  # located in the file: `template.yaml: Resources.GetPets.Properties`
        located += _validated(checker, list(imported.routes), imported.locations, imported.integration_locations)
    if "routes" in raw:
        items = raw["routes"]
        if not isinstance(items, list):
            checker.add(f"{path}.routes", "must be a list of routes")
        else:
            where = [f"{path}.routes[{i}]" for i in range(len(items))]
            located += _validated(checker, _route_items(items, defaults), where)
    return located


def _validated(
    checker: Checker, items: Sequence[Any], where: Sequence[str], integrations: Sequence[str] = ()
) -> list[tuple[str, Route]]:
    """Each item through ``RouteTable.from_config`` on its own, so a problem keeps its own location
    (``integrations``: where each item's integration is, when it comes from a file)."""
    out: list[tuple[str, Route]] = []
    for index, (item, location) in enumerate(zip(items, where, strict=True)):
        try:
            routes: Sequence[Route] = RouteTable.from_config([item]).routes
        except ConfigError as exc:
            for problem in exc.problems:
                checker.add(location, problem.message)
            continue
        if isinstance(item, Mapping) and "integration" in item:
            at = integrations[index] if integrations else f"{location}.integration"
            routes = _integrated(checker, at, item["integration"], routes)
        out += [(location, route) for route in routes]
    return out


def _integrated(checker: Checker, at: str, raw: Any, routes: Sequence[Route]) -> list[Route]:
    """``with_integration``, its problems located in the file's own spelling (CloudFormation's keys)."""
    from gatewaysim.config.route_integration import with_integration
    from gatewaysim.config.template_integrations import file_spelling

    problems, warnings = len(checker.problems), len(checker.warnings)
    found = with_integration(checker, at, raw, routes)
    for kept, start in ((checker.problems, problems), (checker.warnings, warnings)):
        kept[start:] = [Problem(file_spelling(p.path, at), p.message) for p in kept[start:]]
    return found


def _default_route(
    checker: Checker, path: str, raw: Mapping[str, Any], defaults: Mapping[str, Any], imported: bool
) -> tuple[str, Route] | None:
    """The method for requests no route matches, with where it was declared; None: 403 for those."""
    given = raw.get("default_route", "routes" not in raw and not imported)
    if given is False or given is None:
        return None
    where = f"{path}.default_route" if "default_route" in raw else f"{path}.authorization_type"
    if given is not True and not isinstance(given, Mapping):
        checker.add(where, "must be true, false or a mapping like `{authorizationType: CUSTOM, authorizer: name}`")
        return None
    item = dict(defaults)
    if isinstance(given, Mapping):
        item = dict(given) if "authorizationType" in given else {**defaults, **given}
    found = _validated(checker, [{**item, "resource": "/"}], [where])
    return found[0] if found else None


_IAM_HINT: Final = (
    " (the keys SigV4 signatures are checked against, e.g. `iam: {type: AWS_IAM, credentials_file:"
    " ~/.aws/credentials}`; a template's API takes it from a config with `template:`)"
)


def _check_references(
    checker: Checker, path: str, located: Sequence[tuple[str, Route]], kinds: Mapping[str, str]
) -> str | None:
    """Every method's authorizer exists and can serve it; returns the API's AWS_IAM authorizer name."""
    iam = sorted(name for name, kind in kinds.items() if kind == "AWS_IAM")
    for where, route in located:
        auth_type = route.authorization_type
        if auth_type is AuthType.AWS_IAM and len(iam) != 1:
            found = "none" if not iam else ", ".join(f"`{n}`" for n in iam)
            hint = _IAM_HINT if not iam else ""
            checker.add(
                where, f"AWS_IAM methods need exactly one `AWS_IAM` authorizer in `authorizers`, found {found}{hint}"
            )
        name = route.authorizer
        if name is None or auth_type not in _SERVES:
            continue
        if name not in kinds:
            checker.add(where, f"unknown authorizer `{name}` (declared: {', '.join(sorted(kinds)) or 'none'})")
        elif kinds[name] not in _SERVES[auth_type]:
            checker.add(where, f"authorizer `{name}` is of type `{kinds[name]}` and cannot serve `{auth_type}` methods")
    return iam[0] if len(iam) == 1 else None


def _table_problem(checker: Checker, path: str, routes: tuple[Route, ...]) -> bool:
    try:
        RouteTable(routes)
    except ValueError as exc:  # a method declared twice, or sibling parameters named differently
        checker.add(f"{path}.routes", str(exc))
        return True
    return False


def _try_build(checker: Checker, settings: AuthSettings) -> None:
    """Build every authorizer once now, so a bad handler, key or JWKS file fails at load time."""
    if not settings.authorizers:
        return
    try:
        settings.build()
    except ConfigError as exc:
        for problem in exc.problems:
            checker.add(problem.path, problem.message)
