"""The candidate policy: any file a policy comes from, attached to the API the decisions were recorded for."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gatewaysim.arn import api_arn as build_api_arn
from gatewaysim.gateway.attached import AttachedPolicy, attach_policy
from gatewaysim.imports import import_policy

__all__ = ["DEFAULT_API_ARN", "load_candidate"]

DEFAULT_API_ARN = build_api_arn("us-east-1", "123456789012", "abcdef1234")
"""The API of ``gatewaysim serve``'s defaults (used when no decision names one)."""


def load_candidate(
    path: Path, api_arn: str, api: str | None = None, parameters: Mapping[str, str] | None = None
) -> AttachedPolicy:
    """Read ``path`` (a policy in JSON or YAML, a SAM/CloudFormation template, OpenAPI, Terraform ...).

    References to the account, region and API id (``!Ref AWS::AccountId``, ``execute-api:/``) resolve
    to ``api_arn``'s; ``api`` names the API whose policy to take when the file holds several;
    ``parameters`` are a template's parameter values and stand-ins (``--parameter-overrides``, as
    ``serve`` takes them). Raises a located ``ConfigError`` or ``PolicyError``.
    """
    parts = api_arn.split(":", 5)
    region, account, api_id = parts[3], parts[4], parts[5]
    imported = import_policy(
        path,
        account=account,
        region=region,
        api_id=api_id,
        parameters=parameters,
        api=api,
        choose_with="--policy-api",
    )  # read bounded (gatewaysim.safeload), templates detected: as a `policy:` of the config
    return attach_policy(imported.document, api_arn=api_arn, source=str(path), source_name=str(path))
