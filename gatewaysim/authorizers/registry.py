"""Build the authorizers a config declares, by type, in one table.

::

    authorizers:
      tokens:   {type: TOKEN, handler: "authz.py:handler", authorizerResultTtlInSeconds: 300}
      requests: {type: REQUEST, url: "http://127.0.0.1:9001/authorize",
                 identitySource: "method.request.header.X-Key, method.request.querystring.tenant"}
      iam:      {type: AWS_IAM, credentials: {AKIAEXAMPLE: {secret: ..., principal: "arn:aws:iam::1:user/a"}},
                 credentials_file: null, principals: {}, identity_policies: {"arn:...": policy}}
      pool:     {type: COGNITO_USER_POOLS, user_pools: [{user_pool_id: us-east-1_X, jwks: jwks.json}]}
      mine:     {type: PLUGIN, factory: "my_pkg.auth:build", options: {...}}   # or an entry point name

A ``PLUGIN`` factory is called with ``options`` and must return an ``Authorizer`` (an object
with ``needs_body`` and ``async authorize(request)``); an object that already is one is used as is.
Every problem of every authorizer is collected into one ``ConfigError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp

from gatewaysim.authorizers.base import Authorizer
from gatewaysim.authorizers.lambda_ import LambdaAuthorizer, LambdaAuthorizerConfig
from gatewaysim.authorizers.loading import resolve
from gatewaysim.errors import ConfigError, PolicyError, Problem
from gatewaysim.policy import compile_policy

__all__ = ["BUILDERS", "BuildContext", "build_authorizers"]


class BuildContext:
    """What builders may need besides their own mapping."""

    def __init__(
        self, *, source: str | None, base_dir: Path | None, region: str, session: aiohttp.ClientSession | None
    ):
        self.source, self.base_dir, self.region, self.session = source, base_dir, region, session


Builder = Callable[[str, Mapping[str, Any], str, BuildContext], Authorizer]


def _relocated(exc: ConfigError, prefix: str, source: str | None) -> ConfigError:
    """``exc`` with each problem located under ``prefix`` (the builder's own config path)."""
    return ConfigError([Problem(f"{prefix}.{p.path}" if p.path else prefix, p.message) for p in exc.problems], source)


def _lambda(name: str, data: Mapping[str, Any], path: str, ctx: BuildContext) -> Authorizer:
    config = LambdaAuthorizerConfig.from_mapping(name, data, source=ctx.source, path=path, base_dir=ctx.base_dir)
    try:
        return LambdaAuthorizer.from_config(config, session=ctx.session)
    except ConfigError as exc:  # the handler could not be loaded
        raise ConfigError([Problem(f"{path}.handler", p.message) for p in exc.problems], ctx.source) from exc


def _iam(name: str, data: Mapping[str, Any], path: str, ctx: BuildContext) -> Authorizer:
    # imported here: botocore costs ~40 ms of every start, and most configs have no AWS_IAM
    from gatewaysim.authorizers.credentials import CredentialStore
    from gatewaysim.authorizers.iam import IamAuthorizer

    _only(data, path, {"type", "credentials", "credentials_file", "principals", "identity_policies"}, ctx)
    stores = []
    if "credentials" in data:
        try:
            stores.append(CredentialStore.from_mapping(data["credentials"], source=ctx.source))
        except ConfigError as exc:
            raise _relocated(exc, f"{path}.credentials", ctx.source) from exc
    if data.get("credentials_file"):
        file = Path(str(data["credentials_file"]))
        file = file if file.is_absolute() or ctx.base_dir is None else ctx.base_dir / file
        try:
            stores.append(CredentialStore.from_credentials_file(file, principals=data.get("principals") or {}))
        except ConfigError as exc:
            located = [Problem(f"{path}.credentials_file", p.render(f"`{file}`")) for p in exc.problems]
            raise ConfigError(located, ctx.source) from exc
    if not stores:
        raise ConfigError([Problem(path, "give `credentials` or `credentials_file`")], ctx.source)
    store = CredentialStore([cred for each in stores for cred in each])
    policies = {
        principal: compile_policy(doc, source_name=f"{path}.identity_policies.{principal}")
        for principal, doc in (data.get("identity_policies") or {}).items()
    }
    return IamAuthorizer(store, region=ctx.region, identity_policies=policies)


def _cognito(name: str, data: Mapping[str, Any], path: str, ctx: BuildContext) -> Authorizer:
    # imported here: PyJWT and cryptography cost ~25 ms of every start
    from gatewaysim.authorizers.cognito import CognitoAuthorizer
    from gatewaysim.authorizers.jwt import JwtConfig, JwtVerifier

    _only(data, path, {"type", "user_pools", "header"}, ctx)
    pools = data.get("user_pools")
    if not isinstance(pools, list) or not pools:
        raise ConfigError([Problem(f"{path}.user_pools", "must be a non-empty list of user pools")], ctx.source)
    verifiers = []
    for index, pool in enumerate(pools):
        try:
            verifier = JwtVerifier(JwtConfig.from_mapping(_anchor_jwks(pool, ctx), source=ctx.source))
            if not verifier.jwks.remote:
                verifier.jwks.load_sync()  # a file or inline JWKS: read once, now, so a bad one fails at start
        except ConfigError as exc:
            raise _relocated(exc, f"{path}.user_pools[{index}]", ctx.source) from exc
        verifiers.append(verifier)
    return CognitoAuthorizer(verifiers, header=str(data.get("header", "Authorization")))


def _anchor_jwks(pool: Any, ctx: BuildContext) -> Any:
    if isinstance(pool, Mapping) and isinstance(pool.get("jwks"), str) and ctx.base_dir is not None:
        jwks = pool["jwks"]
        if "://" not in jwks and not Path(jwks).is_absolute():
            return {**pool, "jwks": str(ctx.base_dir / jwks)}
    return pool


def _plugin(name: str, data: Mapping[str, Any], path: str, ctx: BuildContext) -> Authorizer:
    _only(data, path, {"type", "factory", "options"}, ctx)
    factory = resolve(str(data.get("factory", "")), base_dir=ctx.base_dir, where=f"{path}.factory", source=ctx.source)
    built = factory if isinstance(factory, Authorizer) else factory(**(data.get("options") or {}))
    if not isinstance(built, Authorizer):
        raise ConfigError([Problem(f"{path}.factory", "did not give an authorizer (needs `authorize`)")], ctx.source)
    return built


def _only(data: Mapping[str, Any], path: str, allowed: set[str], ctx: BuildContext) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError([Problem(f"{path}.{key}", f"unknown key `{key}`") for key in unknown], ctx.source)


BUILDERS: dict[str, Builder] = {
    "TOKEN": _lambda,
    "REQUEST": _lambda,
    "AWS_IAM": _iam,
    "COGNITO_USER_POOLS": _cognito,
    "PLUGIN": _plugin,
}


def build_authorizers(
    raw: Mapping[str, Any] | None,
    *,
    source: str | None = None,
    base_dir: Path | None = None,
    region: str = "us-east-1",
    session: aiohttp.ClientSession | None = None,
    path: str = "authorizers",
) -> dict[str, Authorizer]:
    """Build every authorizer in ``raw`` (name -> mapping); one ``ConfigError`` lists all problems."""
    ctx = BuildContext(source=source, base_dir=base_dir, region=region, session=session)
    built: dict[str, Authorizer] = {}
    problems: list[Problem] = []
    for name, data in (raw or {}).items():
        where = f"{path}.{name}"
        kind = data.get("type") if isinstance(data, Mapping) else None
        builder = BUILDERS.get(str(kind))
        if builder is None:
            problems.append(Problem(f"{where}.type", f"must be one of {', '.join(BUILDERS)}, not `{kind}`"))
            continue
        try:
            built[name] = builder(name, data, where, ctx)
        except ConfigError as exc:
            problems.extend(exc.problems)
        except PolicyError as exc:
            problems.extend(Problem(f"{where}.identity_policies", p.render()) for p in exc.problems)
    if problems:
        raise ConfigError(problems, source)
    return built
