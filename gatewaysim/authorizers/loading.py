"""Resolve user code named in the config: ``module:callable``, ``path/to/file.py:callable`` or an
entry point name.

* ``package.module:attr`` (``attr`` may be dotted, ``Class.method``) imports the module.
* ``path/to/file.py:attr`` loads the file as a module; a relative path is taken from ``base_dir``
  (the config file's directory) or else the working directory. A file is loaded once per path.
* ``name`` (no colon) is looked up in the entry-point group ``gatewaysim.authorizers`` (installed
  packages declare ``[project.entry-points."gatewaysim.authorizers"] name = "pkg.mod:attr"``).

Every failure raises ``ConfigError`` with one located problem.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from gatewaysim.errors import ConfigError, Problem

__all__ = ["ENTRY_POINT_GROUP", "load_callable", "resolve"]

ENTRY_POINT_GROUP = "gatewaysim.authorizers"


def resolve(
    spec: str,
    *,
    base_dir: Path | None = None,
    group: str = ENTRY_POINT_GROUP,
    where: str = "handler",
    source: str | None = None,
) -> Any:
    """The object ``spec`` names; raises ``ConfigError`` located at ``where``."""
    try:
        return _resolve(spec.strip(), base_dir, group)
    except ConfigError:
        raise
    except Exception as exc:  # import-time errors in user code are config errors, with their cause
        raise ConfigError([Problem(where, f"cannot load `{spec}`: {type(exc).__name__}: {exc}")], source) from exc


def load_callable(
    spec: str,
    *,
    base_dir: Path | None = None,
    group: str = ENTRY_POINT_GROUP,
    where: str = "handler",
    source: str | None = None,
) -> Callable[..., Any]:
    """Like ``resolve`` but the object must be callable."""
    target = resolve(spec, base_dir=base_dir, group=group, where=where, source=source)
    if not callable(target):
        raise ConfigError([Problem(where, f"`{spec}` is not callable")], source)
    return target  # type: ignore[no-any-return]  # callable() narrows Any to Callable[..., Any]


def _resolve(spec: str, base_dir: Path | None, group: str) -> Any:
    if ":" not in spec:
        return _entry_point(spec, group)
    target, _, attr = spec.rpartition(":")
    if not target or not attr:
        raise ValueError("expected `module:attr`, `path/to/file.py:attr` or an entry point name")
    is_file = target.endswith(".py") or "/" in target or "\\" in target
    module = _load_file(target, base_dir) if is_file else importlib.import_module(target)
    return _attribute(module, attr)


def _attribute(module: ModuleType, dotted: str) -> Any:
    value: Any = module
    for part in dotted.split("."):
        if not hasattr(value, part):
            raise AttributeError(f"`{module.__name__}` has no attribute `{dotted}`")
        value = getattr(value, part)
    return value


def _load_file(target: str, base_dir: Path | None) -> ModuleType:
    path = Path(target).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    path = path.resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no file `{path}`")
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    name = f"gatewaysim_user_{path.stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load `{path}` as a module")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _entry_point(name: str, group: str) -> Any:
    found = entry_points(group=group, name=name)
    if not found:
        raise LookupError(f"no entry point `{name}` in group `{group}`")
    return next(iter(found)).load()
