"""The config's ``functions``: the Lambda functions AWS_PROXY integrations call, by name.

::

    functions:
      hello:
        handler: app.lambda_handler      # Lambda's form (module.function) inside `code`;
        code: hello_world/               #   or `path/app.py:lambda_handler`, or `package.module:function`
        environment: {TABLE: pets}       # Environment.Variables; the worker sees only these and Lambda's own
        timeout: 3                       # seconds (Lambda's Timeout; default 3, at most 900)
        memory_size: 128                 # MB, reported in the context (128..10240)
        concurrency: 2                   # worker processes at most (warm instances); more requests wait
      remote:
        url: http://127.0.0.1:9000       # Lambda over HTTP: POST {url}/2015-03-31/functions/{name}/invocations
        function_name: function          # the name in that path (default: this key); the RIE answers to any

Paths are relative to the config file. A local handler runs in its own worker process with ``code``
as working directory and first ``sys.path`` entry (``gatewaysim.integrations.lambda_proxy``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from gatewaysim.config import fields as f
from gatewaysim.config.fields import INVALID, Checker

__all__ = ["RESERVED_ENVIRONMENT", "FunctionSettings", "functions_section"]

RESERVED_ENVIRONMENT: Final = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
"""Lambda refuses these names in a function's environment (its own values stand)."""
_ENV_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]+")
_FUNCTION_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_ENVIRONMENT_BYTES: Final = 4096  # Lambda's limit on all variables together
_MAX_TIMEOUT_S: Final = 900
_MAX_CONCURRENCY: Final = 64


@dataclass(frozen=True, slots=True)
class FunctionSettings:
    """One function: a local Python handler (``module`` or ``file`` + ``attribute``) or an endpoint (``url``)."""

    name: str
    handler: str | None = None  # as written
    code_dir: Path | None = None
    module: str | None = None  # dotted module name, imported from ``code_dir``
    file: Path | None = None  # or a file loaded by path
    attribute: str | None = None  # the handler function in the module
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 3.0
    memory_mb: int = 128
    concurrency: int = 2
    url: str | None = None
    remote_name: str | None = None
    runtime: str | None = None

    @property
    def is_local(self) -> bool:
        """True for a Python handler run by gatewaysim's workers, False for a Lambda-over-HTTP endpoint."""
        return self.url is None


_FIELDS: Final[f.Table] = {
    "handler": lambda c, path, raw: raw,  # resolved with `code` below
    "code": lambda c, path, raw: raw,
    "runtime": f.optional_string,
    "environment": lambda c, path, raw: _environment(c, path, raw),
    "timeout": lambda c, path, raw: _bounded(c, path, raw, 0, _MAX_TIMEOUT_S, "seconds"),
    "memory_size": lambda c, path, raw: _bounded(c, path, raw, 128, 10240, "MB", integer=True),
    "concurrency": lambda c, path, raw: _bounded(c, path, raw, 1, _MAX_CONCURRENCY, "workers", integer=True),
    "url": f.backend,
    "function_name": lambda c, path, raw: _name(c, path, raw),
}
_ATTRS: Final = {"timeout": "timeout_s", "memory_size": "memory_mb", "function_name": "remote_name"}


def _bounded(c: Checker, path: str, raw: Any, low: float, high: float, unit: str, *, integer: bool = False) -> Any:
    """A number in ``low..high`` (``low`` 0 means above zero); an integer when ``integer``."""
    kinds = (int,) if integer else (int, float)
    ok = isinstance(raw, kinds) and not isinstance(raw, bool)
    if not ok or not (raw > 0 if low == 0 else raw >= low) or raw > high:
        lower = "above 0" if low == 0 else f"from {low:g}"
        c.add(path, f"must be {'an integer' if integer else 'a number'} {lower} to {high:g} ({unit}), got `{raw}`")
        return INVALID
    return raw


def _name(c: Checker, path: str, raw: Any) -> Any:
    if not isinstance(raw, str) or not _FUNCTION_NAME.fullmatch(raw):
        c.add(path, f"must be a Lambda function name (letters, digits, `-`, `_`; at most 64), got `{raw}`")
        return INVALID
    return raw


def _environment(c: Checker, path: str, raw: Any) -> Any:
    if not isinstance(raw, Mapping):
        c.add(path, "must be a mapping of variable names to values")
        return INVALID
    out: dict[str, str] = {}
    for name, value in raw.items():
        where = f"{path}.{name}"
        if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
            c.add(where, f"`{name}` is not a variable name (a letter, then letters, digits or `_`)")
        elif name in RESERVED_ENVIRONMENT:
            c.add(where, f"`{name}` is reserved by Lambda and cannot be set")
        elif isinstance(value, Mapping | list) or value is None:
            c.add(where, "must be a string (or a number or boolean, read as text)")
        else:
            out[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    size = sum(len(k) + len(v) for k, v in out.items())
    if size > _MAX_ENVIRONMENT_BYTES:
        c.add(path, f"the variables hold {size} bytes; Lambda allows {_MAX_ENVIRONMENT_BYTES}")
    return out if len(out) == len(raw) and size <= _MAX_ENVIRONMENT_BYTES else INVALID


def functions_section(checker: Checker, path: str, raw: Any, base_dir: Path) -> dict[str, FunctionSettings]:
    """Every function of the config's ``functions`` mapping (problems recorded, bad ones left out)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        checker.add(path, "must be a mapping of function name to its definition")
        return {}
    out: dict[str, FunctionSettings] = {}
    for name, definition in raw.items():
        where = f"{path}.{name}"
        if _name(checker, where, name) is INVALID:
            continue
        function = _function(checker, where, str(name), definition, base_dir)
        if function is not None:
            out[str(name)] = function
    return out


def _function(checker: Checker, path: str, name: str, raw: Any, base_dir: Path) -> FunctionSettings | None:
    if not isinstance(raw, Mapping):
        checker.add(path, "must be a mapping with `handler` (a local Python function) or `url`")
        return None
    before = len(checker.problems)
    values = checker.section(path, raw, _FIELDS)
    handler, code, url = values.pop("handler", None), values.pop("code", None), values.get("url")
    kwargs: dict[str, Any] = {_ATTRS.get(k, k): v for k, v in values.items()}
    if (handler is None) == ("url" not in raw):
        checker.add(path, "give a function either `handler` (a local Python function) or `url` (Lambda over HTTP)")
    elif handler is not None:
        kwargs.update(_handler(checker, path, handler, code, base_dir, values.get("runtime")))
    elif url is not None and code is not None:
        checker.add(f"{path}.code", "a function served over HTTP (`url`) has no local code")
    if len(checker.problems) > before:
        return None
    return FunctionSettings(name=name, **kwargs)


def _handler(
    checker: Checker, path: str, handler: Any, code: Any, base_dir: Path, runtime: str | None
) -> dict[str, Any]:
    """Where a local handler lives: ``code_dir`` plus a module name or a file, and the function."""
    if runtime is not None and not runtime.startswith("python"):
        checker.add(f"{path}.runtime", f"`{runtime}` functions cannot run locally; serve them over HTTP with `url`")
        return {}
    if code is not None and (not isinstance(code, str) or not code):
        checker.add(f"{path}.code", f"must be a directory, got `{code}`")
        return {}
    code_dir = (base_dir / code).resolve() if code is not None else None
    if code_dir is not None and not code_dir.is_dir():
        checker.add(f"{path}.code", f"no directory `{code_dir}`")
        return {}
    if not isinstance(handler, str) or not handler.strip():
        checker.add(f"{path}.handler", "must be `module.function`, `path/app.py:function` or `package.module:function`")
        return {}
    target, colon, attribute = handler.strip().rpartition(":")
    if not colon:  # Lambda's own form: `app.lambda_handler`, `src/app.handler`
        target, dot, attribute = handler.strip().rpartition(".")
        if not dot or not target or not attribute:
            checker.add(f"{path}.handler", f"`{handler}` is not `module.function`")
            return {}
        target = target.replace("/", ".")
    if not target or not attribute.isidentifier():
        checker.add(f"{path}.handler", f"`{handler}` does not name a function (`...:function`)")
        return {}
    found: dict[str, Any] = {"handler": handler, "attribute": attribute}
    if target.endswith(".py") or "/" in target:
        file = ((code_dir or base_dir) / target).resolve()
        if not file.is_file():
            checker.add(f"{path}.handler", f"no file `{file}`")
            return {}
        return {**found, "file": file, "code_dir": code_dir or file.parent}
    code_dir = code_dir or base_dir.resolve()
    relative = Path(*target.split("."))
    if not (code_dir / relative).with_suffix(".py").is_file() and not (code_dir / relative / "__init__.py").is_file():
        checker.warn(f"{path}.handler", f"module `{target}` is not in `{code_dir}`; the worker will try to import it")
    return {**found, "module": target, "code_dir": code_dir}
