"""``${NAME}`` and ``${NAME:-default}`` in a config file: environment variables, as docker compose reads them.

A config written for a compose network names its services by host name (``http://backend:9000``);
the same file runs without Docker when those parts are variables::

    backend: http://${BACKEND_HOST:-backend}:${BACKEND_PORT:-9000}

Only upper-case names (``[A-Z_][A-Z0-9_]*``) are variables, so IAM policy variables
(``${aws:username}``, ``${*}``) are never touched; ``$${`` is a literal ``${``. Inline policy
documents (an API's ``policy``/``shadow_policy``, an authorizer's ``identity_policies``) are left
as written. An unset variable without a default is a located config error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from gatewaysim.errors import Problem

__all__ = ["VARIABLE", "expand_environment"]

VARIABLE: Final = re.compile(r"\$(\$)?\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}")
"""``${NAME}``, ``${NAME:-default}``; ``$${...}`` stays a literal ``${...}``."""
_KEEP: Final = frozenset({"policy", "shadow_policy", "identity_policies"})
"""Keys whose values are policy documents: never expanded (their ``${...}`` are IAM's)."""


def expand_environment(raw: Any, environ: Mapping[str, str], problems: list[Problem], path: str = "") -> Any:
    """``raw`` with every variable in its strings replaced; unset ones are recorded in ``problems``."""
    if isinstance(raw, str):
        return _expand(raw, environ, problems, path)
    if isinstance(raw, list):
        return [expand_environment(item, environ, problems, f"{path}[{i}]") for i, item in enumerate(raw)]
    if isinstance(raw, Mapping):
        return {
            key: value if key in _KEEP else expand_environment(value, environ, problems, _join(path, key))
            for key, value in raw.items()
        }
    return raw


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _expand(text: str, environ: Mapping[str, str], problems: list[Problem], path: str) -> str:
    def replace(match: re.Match[str]) -> str:
        escaped, name, default = match.groups()
        if escaped:
            return match.group(0)[1:]
        value = environ.get(name)
        if value is not None and (value or default is None):
            return value
        if default is not None:
            return default
        problems.append(Problem(path, f"environment variable `{name}` is not set (give `${{{name}:-default}}`)"))
        return match.group(0)

    return VARIABLE.sub(replace, text) if "${" in text else text
