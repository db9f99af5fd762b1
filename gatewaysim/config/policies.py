"""An API's resource policy in the config: the embedded default, an inline mapping, a file, or a template's.

``policy:`` names a policy document, or any file ``gatewaysim.imports`` reads (SAM, CloudFormation,
OpenAPI, Terraform, ``get-rest-api`` output): then the policy of its API is taken (one with several
APIs that have a policy needs ``template_api``; the message lists them). An API served from a
``template:`` takes the file's policy; a ``policy:`` as well is an error unless ``policy_from`` says
which wins. Every problem is recorded on the ``Checker``, located in its own file.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from gatewaysim.config import fields as f
from gatewaysim.config.fields import Checker
from gatewaysim.errors import ConfigError, DocumentError, PolicyError
from gatewaysim.policy import CompiledPolicy, compile_policy
from gatewaysim.safeload import POLICY_LIMITS, read_text

if TYPE_CHECKING:
    from gatewaysim.config.template import FromTemplate

__all__ = [
    "DEFAULT_POLICY_SOURCE",
    "NO_POLICY",
    "LoadedPolicy",
    "default_policy_text",
    "load_policy",
    "raise_problems",
    "template_policy",
]

DEFAULT_POLICY_SOURCE: Final = "embedded default (corporate network)"
LoadedPolicy = tuple[CompiledPolicy | None, str | None, str | Mapping[str, Any] | None]
"""(compiled policy, where it came from, the document as given)."""
NO_POLICY: Final[LoadedPolicy] = (None, None, None)


def default_policy_text() -> str:
    """The embedded default policy: the seed's corporate-network allow-list (``execute-api:/*``)."""
    return (resources.files("gatewaysim") / "data" / "default-policy.json").read_text(encoding="utf-8")


def _compile(checker: Checker, path: str, document: str | Mapping[str, Any], arn: str, source: str) -> LoadedPolicy:
    try:
        return compile_policy(document, api_arn=arn, source_name=source, require_principal=True), source, document
    except PolicyError as exc:
        checker.policy_errors.append((path, exc))
        return NO_POLICY


def _is_other_format(text: str) -> bool:
    """True when ``text`` parses to something other than a bare policy (a template, an OpenAPI file ...)."""
    from gatewaysim.imports import detect_format
    from gatewaysim.imports.cfn_yaml import load_cfn_yaml

    try:
        data = load_cfn_yaml(text)
    except DocumentError:
        return False  # compile_policy reports it, located
    kind = detect_format(data)
    return kind is not None and kind != "policy"


def _from_file(checker: Checker, path: str, file: Path, text: str, api: Mapping[str, Any]) -> LoadedPolicy:
    """The policy of the one API a template/OpenAPI/Terraform file (given as ``policy:``) holds."""
    from gatewaysim.imports import import_policy

    try:
        imported = import_policy(
            file,
            account=api["account"],
            region=api["region"],
            api_id=api["api_id"],
            parameters=api.get("parameters"),
            api=api.get("template_api"),
            choose_with="`template_api` (--api)",
        )
    except ConfigError as exc:
        checker.policy_errors.append((path, exc))
        return NO_POLICY
    return _compile(checker, path, imported.document, api["arn"], f"{file}: {imported.location}".rstrip(": "))


def load_policy(
    checker: Checker, path: str, ref: Any, api: Mapping[str, Any], base_dir: Path, from_flag: bool
) -> LoadedPolicy:
    """Compile the policy an API names (embedded default, inline mapping, file, or none); keep its text."""
    if ref is None:
        return NO_POLICY
    if ref is f.ABSENT:
        return _compile(checker, path, default_policy_text(), api["arn"], DEFAULT_POLICY_SOURCE)
    if isinstance(ref, Mapping):
        return _compile(checker, path, ref, api["arn"], "inline policy")
    file = Path(ref) if from_flag or Path(ref).is_absolute() else base_dir / ref
    try:
        text = read_text(file, POLICY_LIMITS)  # SECURITY: bounded (gatewaysim.safeload)
    except OSError as exc:
        checker.add(path, f"cannot read policy `{file}`: {exc.strerror}")
        return NO_POLICY
    except DocumentError as exc:
        checker.policy_errors.append((path, PolicyError(exc.problems, str(file))))
        return NO_POLICY
    if _is_other_format(text):
        return _from_file(checker, path, file, text, api)
    return _compile(checker, path, text, api["arn"], str(file))


def template_policy(
    checker: Checker, path: str, item: FromTemplate, given: Mapping[str, Any], loaded: LoadedPolicy, arn: str
) -> LoadedPolicy:
    """The policy of an API served from a file: the file's, or the config's when ``policy_from`` says so."""
    imported = item.model.policy
    wins = given.get("policy_from")
    if imported is None or wins == "config":
        return loaded if "policy" in given else NO_POLICY
    if "policy" in given and wins is None:
        at = f"{item.file}: {imported.location}"
        message = (
            f"the {item.key} has its own resource policy ({at}); say which wins with `policy_from: config|template`"
        )
        checker.add(f"{path}.policy", message)
        return NO_POLICY
    source = f"{item.file}: {imported.location}"
    try:
        compiled = compile_policy(imported.document, api_arn=arn, source_name=source, require_principal=True)
        return compiled, source, imported.document
    except PolicyError as exc:
        checker.policy_errors.append((f"{path}.{item.key}", exc))
        return NO_POLICY


def raise_problems(checker: Checker, source: str | None) -> None:
    """One error for everything found: a lone file error as itself, else every line under the config."""
    if not checker.problems and len(checker.policy_errors) == 1:
        raise checker.policy_errors[0][1]
    for path, exc in checker.policy_errors:
        for problem in exc.problems:
            checker.add(path, problem.render(f"{exc.kind} `{exc.source}`" if exc.source else exc.kind))
    if checker.problems:
        raise ConfigError(checker.problems, source)
