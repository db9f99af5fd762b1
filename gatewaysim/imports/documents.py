"""Policies printed by the AWS CLI (``get-rest-api``, ``get-rest-apis``) and bare policy documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatewaysim.errors import Problem
from gatewaysim.imports.model import Found, ImportedPolicy, ImportOptions, finish_document

__all__ = ["extract_bare_policy", "extract_get_rest_api"]


def _one(item: Mapping[str, Any], location: str) -> Found:
    name = item.get("name") if isinstance(item.get("name"), str) else None
    api_id = item.get("id") if isinstance(item.get("id"), str) else None
    label = name or api_id
    if not item.get("policy"):
        return Found(api=label)
    problems: list[Problem] = []
    document = finish_document(item["policy"], location, problems)
    if document is None:
        return Found(api=label, problems=tuple(problems))
    return Found(api=label, policy=ImportedPolicy(document, "get-rest-api", location, api=label, api_id=api_id))


def extract_get_rest_api(data: Mapping[str, Any], options: ImportOptions) -> list[Found]:
    """``{"id", "name", "policy": "<escaped JSON>"}`` (get-rest-api), or ``{"items": [...]}`` (get-rest-apis)."""
    del options  # the CLI prints stored values, nothing to resolve
    items = data.get("items")
    if isinstance(items, list):
        return [_one(item, f"items[{i}].policy") for i, item in enumerate(items) if isinstance(item, Mapping)]
    return [_one(data, "policy")]


def extract_bare_policy(data: Mapping[str, Any], options: ImportOptions) -> list[Found]:
    """A policy document on its own (``{"Version": ..., "Statement": [...]}``)."""
    del options
    problems: list[Problem] = []
    document = finish_document(data, "", problems)
    policy = ImportedPolicy(document, "policy", "") if document is not None else None
    return [Found(api=None, policy=policy, problems=tuple(problems))]
