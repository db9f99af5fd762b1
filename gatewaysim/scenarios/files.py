"""Scenario files: named requests with the outcome a policy must give them.

A scenario file (YAML) names the API a policy is attached to, the policy, and requests with their
expected outcome::

    api: {id: abcdef1234, account: "123456789012", region: us-east-1}
    policy: corporate-network.json          # relative to this file; or an inline mapping
    defaults: {method: GET, path: /prod/hr-systems}
    scenarios:
      - name: an employee in the main office can call the API
        request: {source_ip: 203.0.113.10}
        expect: Allow                       # Allow | ExplicitDeny | ImplicitDeny | Deny (either)
        deciding: [0]                       # optional: statement indexes or Sids

``load_scenarios`` parses and checks a file (every problem located, one ``ConfigError``);
``run_scenarios`` builds each request's method ARN and context, asks the policy engine and
compares. The request fields are listed in ``REQUEST_FIELDS`` (see ``gatewaysim.scenarios.fields``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatewaysim import arn
from gatewaysim.errors import ConfigError, DocumentError, Problem
from gatewaysim.safeload import load_yaml, read_text
from gatewaysim.scenarios.fields import (
    REQUEST_FIELDS,
    ApiRef,
    Expectation,
    ScenarioRequest,
    parse_api,
    parse_expectation,
    parse_request_fields,
)
from gatewaysim.suggest import did_you_mean

if TYPE_CHECKING:
    from gatewaysim.policy import Decision

__all__ = [
    "REQUEST_FIELDS",
    "ApiRef",
    "EvaluateFn",
    "Expectation",
    "Scenario",
    "ScenarioFile",
    "ScenarioRequest",
    "ScenarioResult",
    "evaluator_for",
    "load_policy_document",
    "load_scenarios",
    "method_arn",
    "parse_scenarios",
    "request_mapping",
    "run_scenarios",
]

EvaluateFn = Callable[[Mapping[str, Any]], "Decision"]
"""What ``run_scenarios`` calls: an engine request mapping in, a ``Decision`` out."""

_TOP_FIELDS = ("api", "policy", "description", "defaults", "scenarios")
_SCENARIO_FIELDS = ("name", "request", "expect", "deciding", "note")


@dataclass(frozen=True, slots=True)
class Scenario:
    """One named request and the outcome the policy must give it."""

    name: str
    request: ScenarioRequest
    expect: Expectation
    note: str | None = None
    index: int = 0


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    """A parsed scenario file: the API, where the policy is, and the scenarios."""

    api: ApiRef
    scenarios: tuple[Scenario, ...]
    policy_path: Path | None = None
    policy_inline: Mapping[str, Any] | None = None
    description: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """What the engine answered for one scenario, and how that differs from the expectation."""

    scenario: Scenario
    method_arn: str
    request: Mapping[str, Any]
    decision: Decision
    failures: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        """True when the outcome (and deciding statements, if given) are as expected."""
        return not self.failures

    def render(self) -> str:
        """One line: ``PASS name: Allow: allowed by Statement[0]`` or ``FAIL name: why``."""
        if self.passed:
            return f"PASS {self.scenario.name}: {self.decision.explain()}"
        return f"FAIL {self.scenario.name}: {'; '.join(self.failures)} ({self.decision.explain()})"


def load_scenarios(path: str | Path) -> ScenarioFile:
    """Read and check a scenario file; raise ``ConfigError`` listing every located problem."""
    file = Path(path)
    try:
        raw = load_yaml(read_text(file))  # SECURITY: bounded (gatewaysim.safeload)
    except OSError as exc:
        raise ConfigError([Problem("", f"cannot read the file: {exc.strerror}")], source=str(file)) from exc
    except DocumentError as exc:
        raise ConfigError(exc.problems, source=str(file)) from None
    return parse_scenarios(raw, base_dir=file.parent, source=str(file))


def parse_scenarios(raw: Any, *, base_dir: Path, source: str | None = None) -> ScenarioFile:
    """Check an already-loaded scenario mapping (``policy`` paths are relative to ``base_dir``)."""
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        raise ConfigError([Problem("", "a scenario file must be a mapping")], source=source)
    problems.extend(
        Problem(str(key), f"unknown field `{key}`{_hint(str(key), _TOP_FIELDS)}")
        for key in raw
        if key not in _TOP_FIELDS
    )
    api = parse_api(raw.get("api"), problems)
    policy_path, policy_inline = _parse_policy(raw.get("policy"), base_dir, problems)
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(Problem("description", "must be a string"))
    defaults = parse_request_fields(raw.get("defaults") or {}, "defaults", problems)
    scenarios = _parse_scenario_list(raw.get("scenarios"), defaults, problems)
    if problems or api is None:
        raise ConfigError(problems, source=source)
    return ScenarioFile(
        api=api,
        scenarios=scenarios,
        policy_path=policy_path,
        policy_inline=policy_inline,
        description=description if isinstance(description, str) else None,
        source=source,
    )


def _parse_policy(raw: Any, base_dir: Path, problems: list[Problem]) -> tuple[Path | None, Any]:
    if isinstance(raw, Mapping):
        return None, raw
    if not isinstance(raw, str) or not raw:
        problems.append(Problem("policy", "missing: a file name (relative to this file) or a mapping"))
        return None, None
    policy_path = base_dir / raw
    if not policy_path.is_file():
        problems.append(Problem("policy", f"file `{raw}` not found next to the scenario file"))
    return policy_path, None


def _parse_scenario_list(raw: Any, defaults: Mapping[str, Any], problems: list[Problem]) -> tuple[Scenario, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(Problem("scenarios", "must be a non-empty list"))
        return ()
    out: list[Scenario] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        scenario = _parse_scenario(item, index, defaults, problems)
        if scenario is None:
            continue
        if scenario.name in seen:
            message = f"duplicate name `{scenario.name}` (first used by scenarios[{seen[scenario.name]}])"
            problems.append(Problem(f"scenarios[{index}].name", message))
        seen.setdefault(scenario.name, index)
        out.append(scenario)
    return tuple(out)


def _parse_scenario(raw: Any, index: int, defaults: Mapping[str, Any], problems: list[Problem]) -> Scenario | None:
    at = f"scenarios[{index}]"
    if not isinstance(raw, Mapping):
        problems.append(Problem(at, "must be a mapping with `name`, `request` and `expect`"))
        return None
    before = len(problems)
    problems.extend(
        Problem(f"{at}.{key}", f"unknown field `{key}`{_hint(str(key), _SCENARIO_FIELDS)}")
        for key in raw
        if key not in _SCENARIO_FIELDS
    )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(f"{at}.name", "missing: every scenario needs a name"))
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        problems.append(Problem(f"{at}.note", "must be a string"))
    own = parse_request_fields(raw.get("request") or {}, f"{at}.request", problems)
    request = ScenarioRequest.build({**defaults, **own}, f"{at}.request", problems)
    expect = parse_expectation(raw.get("expect"), raw.get("deciding"), at, problems)
    if len(problems) > before or request is None or expect is None:
        return None
    return Scenario(name=str(name), request=request, expect=expect, note=note, index=index)


# ---------------------------------------------------------------- running


def method_arn(api: ApiRef, method: str, path: str) -> str:
    """The execute-api ARN of a request: ``{api arn}/{stage}/{METHOD}/{path without stage}``.

    ``path`` is the URL path as sent to the API's default endpoint, stage first
    (``/prod/pets/1``); the query string is dropped; the root resource ends in ``/`` (``prod/GET/``).
    """
    stage, _, rest = path.split("?", 1)[0].lstrip("/").partition("/")
    if not stage:
        raise ValueError(f"path `{path}` does not start with a stage name")
    return arn.method_arn(api.arn, stage, method.upper(), "/" + rest)


def request_mapping(api: ApiRef, request: ScenarioRequest, now: datetime) -> dict[str, Any]:
    """The engine request mapping (principal, action, resource, context) for one scenario request."""
    when = request.time or now
    context: dict[str, Any] = {
        "aws:CurrentTime": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(when.timestamp())),
        "aws:SecureTransport": "true" if request.secure_transport else "false",
        "aws:SourceIp": request.source_ip,
        "aws:VpcSourceIp": request.vpc_source_ip,
        "aws:SourceVpc": request.vpc,
        "aws:SourceVpce": request.vpce,
        "aws:UserAgent": request.headers.get("user-agent"),
        "aws:Referer": request.headers.get("referer"),
    }
    context = {key: value for key, value in context.items() if value is not None}
    context.update({key: list(values) for key, values in request.context.items()})
    return {
        "principal": request.principal,
        "action": "execute-api:Invoke",
        "resource": method_arn(api, request.method, request.path),
        "context": context,
    }


def load_policy_document(scenario_file: ScenarioFile) -> Mapping[str, Any]:
    """The policy the scenarios run against: the inline mapping, or the file imported by format."""
    if scenario_file.policy_inline is not None:
        return scenario_file.policy_inline
    from gatewaysim.imports import import_policy

    assert scenario_file.policy_path is not None  # parse_scenarios guarantees one of the two
    api = scenario_file.api
    imported = import_policy(scenario_file.policy_path, account=api.account, region=api.region, api_id=api.id)
    return imported.document


def evaluator_for(scenario_file: ScenarioFile) -> EvaluateFn:
    """Compile the scenario file's policy once; return a function evaluating request mappings."""
    from gatewaysim.policy import Request, compile_policy

    name = scenario_file.policy_path.name if scenario_file.policy_path else "inline policy"
    compiled = compile_policy(
        dict(load_policy_document(scenario_file)),
        api_arn=scenario_file.api.arn,
        source_name=name,
        require_principal=True,
    )

    def evaluate(mapping: Mapping[str, Any]) -> Decision:
        return compiled.evaluate(Request.from_mapping(mapping))

    return evaluate


def run_scenarios(
    scenario_file: ScenarioFile, evaluate_fn: EvaluateFn | None = None, *, now: datetime | None = None
) -> list[ScenarioResult]:
    """Evaluate every scenario (through ``evaluate_fn``, or the file's own policy) and compare."""
    evaluate = evaluate_fn or evaluator_for(scenario_file)
    clock = now or datetime.now(UTC)
    results = []
    for scenario in scenario_file.scenarios:
        mapping = request_mapping(scenario_file.api, scenario.request, clock)
        decision = evaluate(mapping)
        results.append(
            ScenarioResult(
                scenario=scenario,
                method_arn=mapping["resource"],
                request=mapping,
                decision=decision,
                failures=scenario.expect.check(decision),
            )
        )
    return results


def _hint(word: str, known: Sequence[str]) -> str:
    """`` (did you mean `x`?)``, else the list of known fields."""
    return did_you_mean(word, known) or f" (expected one of {', '.join(known)})"
