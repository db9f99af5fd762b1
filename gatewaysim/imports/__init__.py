"""Read APIs and resource policies from the files people already have. Pure: no aiohttp, no network.

Sources (``fmt``; detected from the content when not given): ``sources.FORMATS`` - SAM (translated by
aws-sam-translator), CloudFormation, OpenAPI 3 / Swagger 2, Terraform ``.tf.json`` and ``terraform
show -json``, ``aws apigateway get-rest-api`` output, a bare policy document.

``load_source`` reads a file into API models (``ApiModel``: stages, routes, authorizers, policy and
the "not emulated" notices). ``import_policies`` returns every API's policy; ``import_policy``
returns the one policy (or the one named by ``api``) and says which candidates there are when the
choice is ambiguous. Every problem (an unresolvable ``!GetAtt``, a ``${var}`` without a default...)
is a located ``TemplateError``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatewaysim.errors import Problem, TemplateError
from gatewaysim.imports.model import Found, ImportedPolicy, ImportOptions

if TYPE_CHECKING:
    from gatewaysim.imports.api_model import ApiModel
    from gatewaysim.imports.sources import DETECTORS, FORMATS, LoadedSource, derive_api_ids, detect_format, load_source

__all__ = [
    "DETECTORS",
    "FORMATS",
    "ApiModel",
    "ImportedPolicy",
    "LoadedSource",
    "derive_api_ids",
    "detect_format",
    "import_policies",
    "import_policy",
    "load_source",
]


_LAZY = {
    "ApiModel": "gatewaysim.imports.api_model",
    **{
        name: "gatewaysim.imports.sources"
        for name in ("DETECTORS", "FORMATS", "LoadedSource", "derive_api_ids", "detect_format", "load_source")
    },
}


def __getattr__(name: str) -> Any:
    """The readers load on first use: importing one small module of this room (``intrinsics``)
    must not load them all (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'gatewaysim.imports' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def _find(source: str | Path, fmt: str | None, options: ImportOptions) -> tuple[list[Found], str | None]:
    from gatewaysim.imports.sources import load_source

    loaded = load_source(source, options, fmt=fmt)
    if loaded.problems:
        raise TemplateError(loaded.problems, loaded.source)
    ids = {name: options.api_id for name in loaded.names if name is not None}
    found = [
        Found(api=name, policy=model.policy if model is not None else None, problems=tuple(problems))
        for name, (model, problems) in zip(loaded.names, loaded.build(ids), strict=True)
    ]
    return found, loaded.source


def _options(account: str | None, region: str | None, api_id: str | None, parameters: Any) -> ImportOptions:
    return ImportOptions(account=account, region=region, api_id=api_id, parameters=dict(parameters or {}))


def _no_policy(found: list[Found], name: str | None) -> TemplateError:
    seen = ", ".join(f"`{f.api}`" for f in found if f.api)
    suffix = f" (APIs without one: {seen})" if seen else ""
    return TemplateError([Problem("", f"no resource policy found{suffix}")], name)


def import_policies(
    source: str | Path,
    *,
    fmt: str | None = None,
    account: str | None = None,
    region: str | None = None,
    api_id: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> list[ImportedPolicy]:
    """Every resource policy in ``source`` (a path or the text itself); all problems raise at once."""
    found, name = _find(source, fmt, _options(account, region, api_id, parameters))
    problems = [p for f in found for p in f.problems]
    if problems:
        raise TemplateError(problems, name)
    policies = [f.policy for f in found if f.policy is not None]
    if not policies:
        raise _no_policy(found, name)
    return policies


def import_policy(
    source: str | Path,
    *,
    fmt: str | None = None,
    account: str | None = None,
    region: str | None = None,
    api_id: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    api: str | None = None,
    choose_with: str = "`api`",
) -> ImportedPolicy:
    """The one resource policy in ``source`` (or the API named ``api``); ambiguity is an error that
    lists the candidates and names ``choose_with``, the way to pick one."""
    found, name = _find(source, fmt, _options(account, region, api_id, parameters))
    candidates = [f for f in found if f.policy is not None or f.problems]
    if api is not None:
        candidates = [f for f in found if f.api == api]
        if not candidates:
            known = ", ".join(f"`{f.api}`" for f in found if f.api) or "none"
            raise TemplateError([Problem("", f"no API named `{api}` (APIs: {known})")], name)
    if len(candidates) > 1:
        names = ", ".join(f"`{f.api}` ({f.policy.location if f.policy else 'unresolved'})" for f in candidates)
        raise TemplateError(
            [Problem("", f"several APIs have a resource policy: {names}; choose one with {choose_with}")], name
        )
    if not candidates:
        raise _no_policy(found, name)
    chosen = candidates[0]
    if chosen.problems:
        raise TemplateError(chosen.problems, name)
    if chosen.policy is None:
        raise _no_policy([chosen], name)
    return chosen.policy
