"""Read an importer's input: a path or the text itself; JSON, YAML (with CloudFormation tags) or escaped JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gatewaysim.errors import DocumentError, Problem, TemplateError
from gatewaysim.imports.cfn_yaml import load_cfn_yaml
from gatewaysim.imports.model import decode_policy_text
from gatewaysim.safeload import FormatError, load_json, read_text

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
        raise TemplateError([Problem("", message)], str(path))
    try:
        return read_text(path), str(path)  # SECURITY: size and encoding checked (gatewaysim.safeload)
    except OSError as exc:
        raise TemplateError([Problem("", f"cannot read the file: {exc.strerror}")], str(path)) from exc
    except DocumentError as exc:
        raise TemplateError(exc.problems, str(path)) from None


def parse_source(text: str, name: str | None) -> Any:
    """JSON first; then the escaped policy text the AWS CLI prints; then YAML with ``!Ref``-style tags."""
    try:
        try:
            return load_json(text)
        except FormatError:
            pass
        if text.lstrip().startswith('{\\"'):
            try:
                return decode_policy_text(text)
            except ValueError as exc:
                raise TemplateError([Problem("", str(exc))], name) from None
        return load_cfn_yaml(text)
    except DocumentError as exc:  # SECURITY: bounded (gatewaysim.safeload); a located line
        raise TemplateError(exc.problems, name) from None
