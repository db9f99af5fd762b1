"""Read an importer's input: a path or the text itself; JSON, YAML (with CloudFormation tags) or escaped JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from gatewaysim.errors import ConfigError, Problem
from gatewaysim.imports.cfn_yaml import load_cfn_yaml
from gatewaysim.imports.model import decode_policy_text

__all__ = ["parse_source", "read_source"]

_MAX_PATH = 4096


def _looks_like_path(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and "\n" not in stripped and len(stripped) < _MAX_PATH and stripped[0] not in "{["


def read_source(source: str | Path) -> tuple[str, str | None]:
    """The text to parse and a name for messages (the path; None for text given directly)."""
    if isinstance(source, str) and not _looks_like_path(source):
        return source, None
    path = Path(source)
    if path.suffix == ".tf":
        message = "terraform HCL is not read; use a `.tf.json` file or `terraform show -json` output"
        raise ConfigError([Problem("", message)], str(path))
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except OSError as exc:
        raise ConfigError([Problem("", f"cannot read the file: {exc.strerror}")], str(path)) from exc


def parse_source(text: str, name: str | None) -> Any:
    """JSON first; then the escaped policy text the AWS CLI prints; then YAML with ``!Ref``-style tags."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    if text.lstrip().startswith('{\\"'):
        try:
            return decode_policy_text(text)
        except ValueError as exc:
            raise ConfigError([Problem("", str(exc))], name) from None
    try:
        return load_cfn_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or "not valid JSON or YAML"
        raise ConfigError([Problem(where, str(reason))], name) from None
