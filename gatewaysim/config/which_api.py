"""Which API a lone policy file belongs to, for ``check`` and ``simulate`` without a config.

Each of the API id, account, region and stage comes from, in order: its flag (``--api-id``,
``--account``, ``--region``, ``--stage``), the policy's own execute-api ARNs (the value most of
its concrete ARNs name; the stage also from the ``execute-api:/stage/...`` shorthand), or
``serve``'s default (``ApiSettings``). ``ApiChoice.describe()`` says which, so the user sees what
was assumed::

    api `abcdef1234` (the policy's ARNs), account `123456789012` (--account),
    region `us-east-1` (serve's default)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from gatewaysim.arn import api_arn, method_arn
from gatewaysim.config.load import ApiSettings
from gatewaysim.errors import PolicyError
from gatewaysim.policy import Policy, parse_policy

__all__ = ["FROM_DEFAULT", "FROM_POLICY", "ApiChoice", "choose_api", "policy_arns"]

FROM_POLICY: Final = "the policy's ARNs"
FROM_DEFAULT: Final = "serve's default"
_DEFAULTS: Final = ApiSettings()
_WILDCARDS: Final = ("*", "?", "${")
_ANY_API: Final = "arn:aws:execute-api:*:*:*"


@dataclass(frozen=True, slots=True)
class ApiChoice:
    """The API id, account and region chosen, and where each came from (a flag, the policy, the default)."""

    api_id: str
    account: str
    region: str
    partition: str
    stage: str
    sources: Mapping[str, str]  # "api" | "account" | "region" | "stage" -> where it came from

    @property
    def arn(self) -> str:
        """``arn:aws:execute-api:{region}:{account}:{api-id}``."""
        return api_arn(self.region, self.account, self.api_id, self.partition)

    def describe(self, *, stage: bool = False) -> str:
        """``api `x` (--api-id), account `y` (the policy's ARNs), region `z` (serve's default)``."""
        values = {"api": self.api_id, "account": self.account, "region": self.region}
        if stage:
            values["stage"] = self.stage
        return ", ".join(f"{name} `{values[name]}` ({self.sources[name]})" for name in values)

    @property
    def guessed(self) -> bool:
        """True when the API id, account or region came from serve's defaults."""
        return FROM_DEFAULT in (self.sources["api"], self.sources["account"], self.sources["region"])

    def method_arn(self, verb: str, path: str) -> str:
        """``arn:...:{api-id}/{stage}/{VERB}/{path}`` of this API (``path`` with or without its ``/``)."""
        return method_arn(self.arn, self.stage, verb, "/" + path.lstrip("/"))


def policy_arns(document: str | bytes | Mapping[str, Any] | Policy) -> Iterator[tuple[str, ...]]:
    """(partition, region, account, api id, stage) of each execute-api ARN in the policy's resources.

    The ``execute-api:/stage/...`` shorthand gives its stage only (the other parts are wildcards).
    """
    try:  # the shorthand expands on an API of wildcards: only its stage names something
        policy = parse_policy(document, api_arn=_ANY_API)
    except PolicyError:
        return
    for statement in policy.statements:
        for pattern in (*(statement.resource or ()), *(statement.not_resource or ())):
            parts = pattern.split(":", 5)
            if len(parts) != 6 or parts[0] != "arn" or parts[2] != "execute-api":
                continue
            api_id, _, rest = parts[5].partition("/")
            yield parts[1], parts[3], parts[4], api_id, rest.split("/", 1)[0]


def _most_common(values: list[str]) -> str | None:
    concrete = [v for v in values if v and not any(w in v for w in _WILDCARDS)]
    return Counter(concrete).most_common(1)[0][0] if concrete else None


def choose_api(
    document: str | bytes | Mapping[str, Any] | Policy | None,
    *,
    api_id: str | None = None,
    account: str | None = None,
    region: str | None = None,
    stage: str | None = None,
) -> ApiChoice:
    """Flags first, then the policy's ARNs, then serve's defaults (module docstring)."""
    arns = list(policy_arns(document)) if document is not None else []
    found = {
        "partition": _most_common([a[0] for a in arns]),
        "region": _most_common([a[1] for a in arns]),
        "account": _most_common([a[2] for a in arns]),
        "api": _most_common([a[3] for a in arns]),
        "stage": _most_common([a[4] for a in arns]),
    }
    given = {
        "api": (api_id, "--api-id"),
        "account": (account, "--account"),
        "region": (region, "--region"),
        "stage": (stage, "--stage"),
    }
    defaults = {
        "api": _DEFAULTS.api_id,
        "account": _DEFAULTS.account,
        "region": _DEFAULTS.region,
        "stage": _DEFAULTS.stages[0],
    }
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, (flag_value, flag) in given.items():
        inferred = found[name]
        if flag_value:
            values[name], sources[name] = flag_value, flag
        elif inferred:
            values[name], sources[name] = inferred, FROM_POLICY
        else:
            values[name], sources[name] = defaults[name], FROM_DEFAULT
    partition = found["partition"] or _DEFAULTS.partition
    return ApiChoice(values["api"], values["account"], values["region"], partition, values["stage"], sources)
