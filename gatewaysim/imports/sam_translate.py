"""SAM -> CloudFormation through AWS's own translator (``aws-sam-translator``), offline.

The translator is what ``sam`` and CloudFormation's ``AWS::Serverless-2016-10-31`` transform run, so
implicit APIs, ``Auth`` (authorizers, ``ResourcePolicy`` lists), ``Cors``, ``GatewayResponses``,
``UsagePlan`` and the extra ``Stage`` stage come out exactly as AWS generates them. It is imported
here, lazily, only for SAM input (importing it costs ~0.3 s).

Before translating, as ``sam local`` does: a local ``CodeUri``/``ContentUri`` becomes a placeholder
S3 URI (the translator accepts only those; the local directory is remembered so a Python handler can
run), and a local ``DefinitionUri`` is read and inlined as ``DefinitionBody`` (a missing file is a
located error). Pseudo parameters come from the API settings (region, account); the managed-policy
map is the one bundled with the translator (no IAM call). The translator's own refusals become
located problems (``Resources.<id>: ...``); its log warnings become notices.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from gatewaysim.errors import ConfigError, DocumentError, Problem, TemplateError
from gatewaysim.imports.api_model import FunctionModel
from gatewaysim.imports.cfn_template import SamOrigin, mapping
from gatewaysim.imports.intrinsics import partition_of
from gatewaysim.imports.model import ImportOptions
from gatewaysim.safeload import read_text

__all__ = ["IMPLICIT_API", "translate_sam"]

IMPLICIT_API: Final = "ServerlessRestApi"
_PLACEHOLDER: Final = "s3://gatewaysim-local/placeholder"
_CODE_KEYS: Final = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}
_DEFINITION_TYPES: Final = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::Serverless::StateMachine")
_POLICY_KEY: Final = "x-amazon-apigateway-policy"


class _Session:
    """What the translator reads of a boto3 session: the region (so no AWS config file is read)."""

    def __init__(self, region: str) -> None:
        self.region_name = region


def _is_local(value: Any) -> bool:
    return isinstance(value, str) and "://" not in value


def _localise_code(sam: dict[str, Any]) -> dict[str, str]:
    """Replace local code locations by the placeholder; returns logical id -> local directory."""
    local: dict[str, str] = {}
    function_globals = mapping(mapping(sam.get("Globals")).get("Function"))
    global_code = function_globals.get("CodeUri")
    if _is_local(global_code):
        sam["Globals"]["Function"]["CodeUri"] = _PLACEHOLDER
    for lid, resource in mapping(sam.get("Resources")).items():
        key = _CODE_KEYS.get(str(mapping(resource).get("Type")))
        props = mapping(resource).get("Properties")
        if key is None or not isinstance(props, dict):
            continue
        code = props.get(key, global_code if key == "CodeUri" else None)
        if _is_local(code):
            local[str(lid)] = str(code)
            if key in props:
                props[key] = _PLACEHOLDER
    return local


def _inline_definitions(sam: dict[str, Any], base_dir: Path, problems: list[Problem]) -> None:
    """Read each local ``DefinitionUri`` into ``DefinitionBody``, as ``sam local`` does."""
    from gatewaysim.imports.reading import parse_source

    for lid, resource in mapping(sam.get("Resources")).items():
        props = mapping(resource).get("Properties")
        if str(mapping(resource).get("Type")) not in _DEFINITION_TYPES or not isinstance(props, dict):
            continue
        uri = props.get("DefinitionUri")
        if not _is_local(uri):
            continue
        at = f"Resources.{lid}.Properties.DefinitionUri"
        file = base_dir / str(uri)
        try:
            text = read_text(file)  # SECURITY: bounded (gatewaysim.safeload)
        except OSError as exc:
            problems.append(Problem(at, f"cannot read `{uri}`: {str(exc.strerror).lower()}"))
            continue
        except DocumentError as exc:
            problems.extend(Problem(at, p.render(f"`{uri}`")) for p in exc.problems)
            continue
        try:
            props["DefinitionBody"] = parse_source(text, str(file))
        except ConfigError as exc:
            problems.extend(Problem(at, p.render(f"`{uri}`")) for p in exc.problems)
            continue
        del props["DefinitionUri"]


def _functions(sam: Mapping[str, Any], local: Mapping[str, str]) -> dict[str, FunctionModel]:
    defaults = mapping(mapping(sam.get("Globals")).get("Function"))
    out = {}
    for lid, resource in mapping(sam.get("Resources")).items():
        if mapping(resource).get("Type") != "AWS::Serverless::Function":
            continue
        props = {**defaults, **mapping(mapping(resource).get("Properties"))}
        runtime, handler = props.get("Runtime"), props.get("Handler")
        out[str(lid)] = FunctionModel(
            str(lid),
            runtime if isinstance(runtime, str) else None,
            handler if isinstance(handler, str) else None,
            local.get(str(lid)),
        )
    return out


def _api_events(sam: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(API logical id, event path, event properties) for each function ``Api`` event."""
    for lid, resource in mapping(sam.get("Resources")).items():
        if mapping(resource).get("Type") != "AWS::Serverless::Function":
            continue
        events = mapping(mapping(mapping(resource).get("Properties")).get("Events"))
        for event_id, event in events.items():
            props = mapping(mapping(event).get("Properties"))
            if mapping(event).get("Type") == "Api":
                target = props.get("RestApiId", IMPLICIT_API)
                target = target.get("Ref") if isinstance(target, Mapping) else target
                yield str(target), f"Resources.{lid}.Properties.Events.{event_id}.Properties", props


def _policy_locations(sam: Mapping[str, Any]) -> dict[str, str]:
    """API logical id -> where its resource policy comes from in the SAM template (first found)."""
    out: dict[str, str] = {}
    global_auth = mapping(mapping(mapping(sam.get("Globals")).get("Api")).get("Auth"))
    for lid, resource in mapping(sam.get("Resources")).items():
        if mapping(resource).get("Type") != "AWS::Serverless::Api":
            continue
        props, at = mapping(mapping(resource).get("Properties")), f"Resources.{lid}.Properties"
        if mapping(props.get("Auth")).get("ResourcePolicy"):
            out[str(lid)] = f"{at}.Auth.ResourcePolicy"
        elif _POLICY_KEY in mapping(props.get("DefinitionBody")):
            out[str(lid)] = f"{at}.DefinitionBody.{_POLICY_KEY}"
        elif global_auth.get("ResourcePolicy"):
            out[str(lid)] = "Globals.Api.Auth.ResourcePolicy"
    for api, at, props in _api_events(sam):
        if api not in out and mapping(props.get("Auth")).get("ResourcePolicy"):
            out[api] = f"{at}.Auth.ResourcePolicy"
    if IMPLICIT_API not in out and global_auth.get("ResourcePolicy"):
        out[IMPLICIT_API] = "Globals.Api.Auth.ResourcePolicy"
    return out


_INTERNAL = "samtranslator.feature_toggle"
"""The translator's loggers that say nothing about the template."""


@contextmanager
def _collected_log(notices: list[Problem]) -> Iterator[None]:
    """The translator's log warnings become notices (never printed around gatewaysim's own output)."""
    logger = logging.getLogger("samtranslator")

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.name.startswith(_INTERNAL):
                return  # its own rollout switches (`Feature '...' not available in Feature Toggle Config.`)
            notices.append(Problem("", f"SAM translator: {record.getMessage().splitlines()[0]}"))

    handler, propagate = _Collect(logging.WARNING), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _parameter_values(sam: Mapping[str, Any], options: ImportOptions) -> dict[str, Any]:
    declared = mapping(sam.get("Parameters"))
    values = {k: v for k, v in options.parameters.items() if k in declared}
    region = options.region or "us-east-1"
    values.update({"AWS::Region": region, "AWS::Partition": partition_of(region)})
    if options.account is not None:
        values["AWS::AccountId"] = options.account
    return values


def _problems_of(exc: Exception) -> list[Problem]:
    causes = getattr(exc, "causes", None) or [exc]
    out = []
    for cause in causes:
        lid = getattr(cause, "_logical_id", None) or getattr(cause, "_event_id", None)
        message = str(getattr(cause, "message", cause))
        where = f"Resources.{lid}" if isinstance(lid, str) else ""
        out.append(Problem(where, f"the SAM translator refuses it: {message}"))
    return out


def translate_sam(
    data: Mapping[str, Any], options: ImportOptions, base_dir: Path, source: str | None
) -> tuple[dict[str, Any], SamOrigin, list[Problem]]:
    """(CloudFormation template, what SAM said before, notices); a refusal raises ``TemplateError``."""
    from samtranslator.metrics.method_decorator import MetricsMethodWrapperSingleton
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    sam = copy.deepcopy(dict(data))  # the translator edits what it is given
    problems: list[Problem] = []
    local = _localise_code(sam)
    _inline_definitions(sam, base_dir, problems)
    if problems:
        raise TemplateError(problems, source)
    stated = frozenset(
        (str(lid), str(key))
        for lid, resource in mapping(data.get("Resources")).items()
        for key in mapping(mapping(resource).get("Properties"))
    )
    origin = SamOrigin(_functions(data, local), _policy_locations(sam), stated or frozenset({("", "")}))
    notices: list[Problem] = []
    translator = Translator(None, Parser(), boto_session=_Session(options.region or "us-east-1"))
    try:
        with _collected_log(notices):
            cfn = translator.translate(sam, _parameter_values(sam, options), get_managed_policy_map=dict)
    except InvalidDocumentException as exc:
        raise TemplateError(_problems_of(exc), source) from None
    except Exception as exc:  # the translator's own bugs on odd input: a located line, never a traceback
        raise TemplateError([Problem("", f"the SAM translator failed: {exc}")], source) from None
    finally:  # its metrics go nowhere offline; unpublished ones would be logged at exit
        translator.metrics.publish()
        MetricsMethodWrapperSingleton.get_instance().publish()
    return cfn, origin, notices
