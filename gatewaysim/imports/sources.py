"""Read any source file into API models: detect the kind, translate SAM, then one reader per kind.

``load_source(path, options)`` parses the file once and says which APIs it holds (``names``);
``build(api_ids)`` then makes one ``ApiModel`` per API, with each API's logical id resolving to the
api id the caller chose (``derive_api_ids`` gives readable, stable ones when several are served).

==================  ===========================================================================
``sam``             ``Transform: AWS::Serverless-2016-10-31`` or ``AWS::Serverless::*`` resources:
                    translated by aws-sam-translator, then read as CloudFormation
``cloudformation``  ``AWS::ApiGateway::RestApi`` and the resources around it
``openapi``         OpenAPI 3 / Swagger 2 with the ``x-amazon-apigateway-*`` extensions (one API)
``terraform``       ``.tf.json`` (``terraform_model``)
``terraform-show``  ``terraform show -json`` state or plan (``terraform_model``)
``get-rest-api``    ``aws apigateway get-rest-api(s)`` output: policies only
``policy``          a bare policy document
==================  ===========================================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from gatewaysim.errors import Problem, TemplateError
from gatewaysim.imports.api_model import ApiModel
from gatewaysim.imports.cfn_model import build_apis, template_notices
from gatewaysim.imports.cfn_template import CfnTemplate
from gatewaysim.imports.documents import extract_bare_policy, extract_get_rest_api
from gatewaysim.imports.model import Found, ImportedPolicy, ImportOptions, finish_document
from gatewaysim.imports.openapi_model import POLICY_KEY, read_openapi_parts
from gatewaysim.imports.reading import parse_source, read_source

__all__ = ["DETECTORS", "FORMATS", "Built", "LoadedSource", "derive_api_ids", "detect_format", "load_source"]

Built = list[tuple[ApiModel | None, list[Problem]]]


def _is_template(data: Mapping[str, Any]) -> bool:
    return isinstance(data.get("Resources"), Mapping)


def _is_sam(data: Mapping[str, Any]) -> bool:
    transform = data.get("Transform")
    transforms = transform if isinstance(transform, list) else [transform]
    resources = data.get("Resources")
    values = resources.values() if isinstance(resources, Mapping) else ()
    types = [r.get("Type") for r in values if isinstance(r, Mapping)]
    return "AWS::Serverless-2016-10-31" in transforms or any(str(t).startswith("AWS::Serverless::") for t in types)


DETECTORS: Final[tuple[tuple[str, Callable[[Mapping[str, Any]], bool]], ...]] = (
    ("sam", lambda d: _is_template(d) and _is_sam(d)),
    ("cloudformation", _is_template),
    ("openapi", lambda d: "openapi" in d or "swagger" in d or POLICY_KEY in d),
    ("terraform-show", lambda d: "planned_values" in d or isinstance(d.get("values"), Mapping)),
    ("terraform", lambda d: "resource" in d),
    ("get-rest-api", lambda d: "policy" in d or isinstance(d.get("items"), list)),
    ("policy", lambda d: "Statement" in d),
)
"""(format, test) in the order they are tried on a parsed file."""

FORMATS: Final = tuple(name for name, _ in DETECTORS)


def detect_format(data: Any) -> str | None:
    """The format of a parsed file, or None when no detector recognises it."""
    if not isinstance(data, Mapping):
        return None
    return next((name for name, test in DETECTORS if test(data)), None)


@dataclass
class LoadedSource:
    """A parsed source: its kind, the APIs it holds, and how to build their models."""

    source: str | None
    kind: str
    names: list[str | None]
    build: Callable[[Mapping[str, str | None]], Built]
    notices: list[Problem] = field(default_factory=list)  # about the file as a whole
    problems: list[Problem] = field(default_factory=list)  # errors about the file as a whole


def _policy_only(found: list[Found], kind: str, source: str | None) -> LoadedSource:
    def build(api_ids: Mapping[str, str | None]) -> Built:
        del api_ids
        return [
            (
                None
                if f.problems
                else ApiModel(
                    f.api,
                    kind,
                    source,
                    api_id=f.policy.api_id if f.policy else None,
                    policy=f.policy,
                    declares_routes=False,
                ),
                list(f.problems),
            )
            for f in found
        ]

    return LoadedSource(source, kind, [f.api for f in found], build)


def _openapi(data: Mapping[str, Any], source: str | None) -> LoadedSource:
    info = data.get("info")
    title = str(info.get("title")) if isinstance(info, Mapping) and info.get("title") else None

    def build(api_ids: Mapping[str, str | None]) -> Built:
        problems: list[Problem] = []
        notices: list[Problem] = []
        parts = read_openapi_parts(data, "", problems, notices)
        policy = None
        if parts.policy_location is not None:
            document = finish_document(parts.policy, parts.policy_location, problems)
            if document is not None:
                policy = ImportedPolicy(document, "openapi", parts.policy_location, api=title)
        model = ApiModel(
            title,
            "openapi",
            source,
            routes=tuple(parts.routes),
            authorizers=parts.authorizers,
            policy=policy,
            binary_media_types=parts.binary_media_types,
            notices=tuple(notices),
            door=parts.door,
        )
        return [(None if problems else model, problems)]

    return LoadedSource(source, "openapi", [title], build)


def _template(
    data: Mapping[str, Any], options: ImportOptions, source: str | None, base_dir: Path, kind: str
) -> LoadedSource:
    notices: list[Problem] = []
    origin = None
    if kind == "sam":
        from gatewaysim.imports.sam_translate import translate_sam

        data, origin, notices = translate_sam(data, options, base_dir, source)
    template = CfnTemplate(data, options, kind=kind, origin=origin)
    problems, more = template_notices(template)
    names: list[str | None] = list(template.api_names())
    return LoadedSource(source, kind, names, lambda ids: build_apis(template, ids), notices + more, problems)


def _terraform(data: Mapping[str, Any], options: ImportOptions, source: str | None, kind: str) -> LoadedSource:
    from gatewaysim.imports.terraform import extract_terraform, extract_terraform_show
    from gatewaysim.imports.terraform_model import API, build_tf_apis
    from gatewaysim.imports.terraform_resources import show_resources, tf_json_resources

    def resources(api_id: str | None, problems: list[Problem], notices: list[Problem]) -> Any:
        if kind == "terraform-show":
            return show_resources(data)
        return tf_json_resources(data, replace(options, api_id=api_id or options.api_id), problems, notices)

    names: list[str | None] = [r.address for r in resources(None, [], []) if r.type == API]
    if not names:  # a policy for an API defined elsewhere (another module, another state)
        extract = extract_terraform if kind == "terraform" else extract_terraform_show
        return _policy_only(extract(data, options), kind, source)

    def build(api_ids: Mapping[str, str | None]) -> Built:
        problems: list[Problem] = []
        notices: list[Problem] = []
        found = resources(next(iter(api_ids.values()), None), problems, notices)
        built = build_tf_apis(found, kind, source)
        if problems:  # an unresolvable interpolation: the file's APIs cannot be served
            return [(None, list(problems)) for _ in built]
        return [
            (replace(model, notices=(*notices, *model.notices)) if model is not None else None, p) for model, p in built
        ]

    return LoadedSource(source, kind, names, build)


def load_source(
    source: str | Path, options: ImportOptions, *, fmt: str | None = None, base_dir: Path | None = None
) -> LoadedSource:
    """Parse ``source`` (a path or the text itself) and say what it holds; raises ``TemplateError``."""
    text, name = read_source(source)
    data = parse_source(text, name)
    kind = fmt or detect_format(data)
    if kind is None:
        expected = ", ".join(FORMATS)
        raise TemplateError([Problem("", f"cannot tell what kind of file this is (expected one of {expected})")], name)
    if kind not in FORMATS:
        raise TemplateError([Problem("", f"unknown format `{kind}` (expected one of {', '.join(FORMATS)})")], name)
    if not isinstance(data, Mapping):
        raise TemplateError([Problem("", f"a {kind} file must be a mapping at the top")], name)
    if base_dir is None:
        base_dir = Path(name).parent if name is not None else Path.cwd()
    if kind in ("sam", "cloudformation"):
        return _template(data, options, name, base_dir, kind)
    if kind == "openapi":
        return _openapi(data, name)
    if kind in ("terraform", "terraform-show"):
        return _terraform(data, options, name, kind)
    extract = extract_get_rest_api if kind == "get-rest-api" else extract_bare_policy
    return _policy_only(extract(data, options), kind, name)


_NOT_ID: Final = re.compile(r"[^a-z0-9]")


def derive_api_ids(names: list[str], chosen: Mapping[str, str] | None = None) -> dict[str, str]:
    """A readable, stable api id per API name (lower-case letters and digits, at most 10, unique)."""
    out: dict[str, str] = dict(chosen or {})
    taken = set(out.values())
    for key in names:
        if key in out:
            continue
        base = _NOT_ID.sub("", key.lower())[:10] or "api"
        candidate, n = base, 1
        while candidate in taken:
            suffix = str(n)
            candidate, n = base[: 10 - len(suffix)] + suffix, n + 1
        out[key] = candidate
        taken.add(candidate)
    return out
