"""The config's ``template:`` / ``openapi:`` keys: serve an API the way its SAM, CloudFormation, OpenAPI
or Terraform file describes it (``gatewaysim.imports`` reads the file into an ``ApiModel``)::

    api:
      template: template.yaml      # or `openapi: api.yaml` (`serve --template FILE`)
      template_api: OrdersApi      # the file has several APIs: serve this one (`--api`); else all are served
      parameters: {StageName: dev} # template parameters and stand-ins (`--parameter-overrides StageName=dev`)
      policy_from: config          # `policy` is given too: which one wins (`config` | `template`)

What the file says is attached: stages (a config ``stages`` list chooses among them), stage
variables (a config ``stage_variables`` entry wins per variable), methods and authorizers (a config
``authorizers`` entry of the same name completes or overrides one; a Lambda authorizer whose
function is a Python function of the same template with local code runs its handler), and the
resource policy. A config ``policy`` for an API whose file has one is an error unless
``policy_from`` says which wins. Every property the file uses that gatewaysim does not emulate is a
warning naming the file and its path there (``ApiSettings.warnings``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatewaysim.config.fields import Checker
from gatewaysim.config.stage_variables import check_variables
from gatewaysim.config.template_keys import DEFAULT_API_ID, TEMPLATE_FIELDS, TEMPLATE_KEYS
from gatewaysim.errors import ConfigError, Problem, TemplateError

if TYPE_CHECKING:
    from gatewaysim.imports import ApiModel

__all__ = [
    "DEFAULT_API_ID",
    "TEMPLATE_FIELDS",
    "TEMPLATE_KEYS",
    "FromTemplate",
    "ImportedAuth",
    "imported_auth",
    "load_template_apis",
    "template_stages",
]


@dataclass(frozen=True, slots=True)
class ImportedAuth:
    """Methods and authorizers a file declares, in config form, each with where it is declared."""

    routes: tuple[Mapping[str, Any], ...] = ()
    locations: tuple[str, ...] = ()  # `file: path` of each route in the file
    integration_locations: tuple[str, ...] = ()  # `file: path` of each route's integration, in the file's spelling
    authorizers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    origin: str = "the template"
    key: str = "template"  # the config key naming the file, for locations


@dataclass(frozen=True, slots=True)
class FromTemplate:
    """One API of a file, as the config takes it."""

    model: ApiModel
    file: Path
    key: str  # `template` or `openapi`: where the config names the file
    api_id: str
    warnings: tuple[Problem, ...] = ()  # located in the file: path `file: Resources...`


def _file(checker: Checker, path: str, ref: str, base_dir: Path) -> Path:
    from_flag = path in checker.origins
    return Path(ref) if from_flag or Path(ref).is_absolute() else base_dir / ref


def load_template_apis(
    checker: Checker, path: str, given: Mapping[str, Any], base_dir: Path, api: Mapping[str, Any]
) -> list[FromTemplate] | None:
    """The APIs the ``template``/``openapi`` file of the API at ``path`` holds (None: it names none)."""
    keys = [key for key in ("template", "openapi") if key in given]
    if not keys:
        return None
    # imported here: a config without a template does not load the readers
    from gatewaysim.imports import derive_api_ids, load_source
    from gatewaysim.imports.model import ImportOptions

    if len(keys) == 2:
        checker.add(f"{path}.openapi", "give either `template` or `openapi`, not both")
    key = keys[0]
    file = _file(checker, f"{path}.{key}", str(given[key]), base_dir)
    options = ImportOptions(account=api["account"], region=api["region"], parameters=given.get("parameters") or {})
    try:
        loaded = load_source(file, options, base_dir=file.parent)
    except ConfigError as exc:
        checker.policy_errors.append((f"{path}.{key}", exc))
        return []
    if loaded.problems:
        checker.policy_errors.append((f"{path}.{key}", TemplateError(loaded.problems, str(file))))
        return []
    names = [name if name is not None else f"api{i}" for i, name in enumerate(loaded.names)]
    chosen = _chosen(checker, path, given, names, file)
    configured = api.get("api_id")
    ids = derive_api_ids(list(names), {chosen[0]: configured or DEFAULT_API_ID} if len(chosen) == 1 else {})
    out = []
    problems: list[Problem] = []
    for name, (model, found) in zip(names, loaded.build(dict(ids)), strict=True):
        if name not in chosen:
            continue
        problems += found
        if model is not None:
            api_id = model.api_id if model.api_id and configured is None else ids[name]
            notices = [*loaded.notices, *model.notices]
            located = tuple(Problem(f"{file}: {n.path}" if n.path else str(file), n.message) for n in notices)
            out.append(FromTemplate(model, file, key, api_id, located))
    if problems:
        checker.policy_errors.append((f"{path}.{key}", TemplateError(problems, str(file))))
    return out


def _chosen(checker: Checker, path: str, given: Mapping[str, Any], names: list[str], file: Path) -> list[str]:
    wanted = given.get("template_api")
    if wanted is None:
        return names
    if wanted not in names:
        known = ", ".join(f"`{n}`" for n in names) or "none"
        checker.add(f"{path}.template_api", f"`{file}` has no API `{wanted}` (APIs: {known})")
        return []
    return [wanted]


def template_stages(
    checker: Checker, path: str, item: FromTemplate, given: Mapping[str, Any], fields: Mapping[str, Any]
) -> dict[str, Any]:
    """``stages``, ``stage_variables`` and ``url_style`` from the file, under the config's own."""
    declared = [s.name for s in item.model.stages]
    stages = list(fields.get("stages") or declared or ["prod"])
    if "stages" in given and declared:
        for name in stages:
            if name not in declared:
                listed = ", ".join(f"`{s}`" for s in declared)
                checker.add(f"{path}.stages", f"`{name}` is not a stage of `{item.file}` (stages: {listed})")
    elif fields.get("url_style") == "bare":
        stages = stages[:1]  # `bare` serves the API's own stage (SAM's extra `Stage` is the second)
    variables: dict[str, dict[str, str]] = {}
    for stage in item.model.stages:
        if stage.name in stages and stage.variables:
            where = f"{item.file}: {stage.variables_location}"
            checked = check_variables(checker, where, stage.variables)
            variables[stage.name] = checked or {}
    for stage, own in (fields.get("stage_variables") or {}).items():
        variables[stage] = {**variables.get(stage, {}), **own}
    return {"stages": tuple(stages), "stage_variables": variables}


def imported_auth(item: FromTemplate, functions: frozenset[str], warnings: list[Problem]) -> ImportedAuth | None:
    """The file's methods (with the integrations that can run here, ``template_integrations``) and
    authorizers for ``parse_auth``; None when it declares no methods. ``functions`` are the names an
    ``AWS_PROXY`` integration may call; what cannot run is a warning in ``warnings``, located in the file."""
    from gatewaysim.config.template_integrations import integration_item, integration_location

    model = item.model
    if not model.declares_routes:
        return None
    found: list[Problem] = []
    routes = []
    for route in model.routes:
        integration = integration_item(route.integration, route.location, functions, found)
        routes.append({**route.item, "integration": integration} if integration is not None else route.item)
    warnings.extend(Problem(f"{item.file}: {w.path}", w.message) for w in found)
    authorizers: dict[str, dict[str, Any]] = {}
    for name, authorizer in model.authorizers.items():
        definition = dict(authorizer.definition)
        function = model.functions.get(authorizer.function or "")
        spec = function.handler_spec() if function is not None else None
        if spec is not None and "handler" not in definition:
            file, _, attr = spec.rpartition(":")
            local = item.file.parent / file
            if local.is_file():
                definition["handler"] = f"{local}:{attr}"
        authorizers[name] = definition
    origin = "the OpenAPI file" if model.kind == "openapi" else "the template"
    return ImportedAuth(
        routes=tuple(routes),
        locations=tuple(f"{item.file}: {r.location}" for r in model.routes),
        integration_locations=tuple(
            f"{item.file}: {integration_location(r.integration, r.location)}" for r in model.routes
        ),
        authorizers=authorizers,
        origin=origin,
        key=item.key,
    )
