"""The package's rooms import downward only, and no module imports itself around a circle.

The walk reads every module's source (``ast``, nothing is executed) and collects every import,
also those inside functions and ``if TYPE_CHECKING:`` blocks: a reader follows those edges too.
A room is a subpackage of ``gatewaysim`` (``gateway``, ``policy`` ...) or a top-level module
(``errors``, ``arn`` ...). A module may import its own room and the rooms of a lower layer.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final

import pytest

PACKAGE: Final = Path(__file__).resolve().parents[1] / "gatewaysim"

LAYERS: Final[Mapping[str, int]] = {
    # the shared vocabulary: imported by everyone, importing nothing above it
    "": 0,  # gatewaysim/__init__.py: the version
    "errors": 0,
    "ids": 0,
    "arn": 0,
    "header_rules": 0,
    "suggest": 0,  # "did you mean": difflib over known names
    "examples": 0,  # the echo backend and example authorizer service: aiohttp only
    "safeload": 1,  # the one hardened YAML/JSON reader (its errors are the vocabulary's)
    "store": 1,  # the shared store (Redis) every shared piece uses; it knows only the vocabulary
    "policy": 2,  # the IAM policy language, pure
    "context": 3,  # RequestContext: ids + a policy Request
    "lint": 3,
    "imports": 3,
    "authorizers": 3,
    "config": 4,  # YAML + flags -> Settings (reads authorizer configs, imported documents)
    "observe": 5,  # access log, decision log
    "integrations": 5,  # what runs after authorization
    "gateway": 6,  # the request path in stage order; admin, reload, banner beside it
    "scenarios": 7,
    "replay": 7,  # reads recorded decision events, re-decides with gateway.authorize: above the gateway
    "testing": 7,
    "cli": 8,
    "pytest_plugin": 8,
    "__main__": 9,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imported_modules(path: Path, module: str) -> Iterator[str]:
    """Every gatewaysim module ``path`` imports (``from gatewaysim.x import y`` counts ``gatewaysim.x.y``
    when that is a module, else ``gatewaysim.x``)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("gatewaysim"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if not base.startswith("gatewaysim"):
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield candidate if candidate in MODULES else base


MODULES: Final = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
EDGES: Final = {
    module: sorted({target for target in imported_modules(path, module) if target != module and target in MODULES})
    for module, path in MODULES.items()
}


def test_every_room_has_a_layer() -> None:
    rooms = {room_of(module) for module in MODULES}
    assert sorted(rooms - LAYERS.keys()) == [], "add the new room to LAYERS"


def test_rooms_import_downward_only() -> None:
    upward = [
        f"{module} -> {target} ({room_of(module) or 'gatewaysim'} is layer {LAYERS[room_of(module)]}, "
        f"{room_of(target) or 'gatewaysim'} is layer {LAYERS[room_of(target)]})"
        for module, targets in EDGES.items()
        for target in targets
        if room_of(target) != room_of(module) and LAYERS[room_of(target)] >= LAYERS[room_of(module)]
    ]
    assert upward == []


def _find_circle() -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in EDGES[module]:
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (circle := visit(target)) is not None:
                return circle
        stack.pop()
        state[module] = 2
        return None

    for module in EDGES:
        if module not in state and (circle := visit(module)) is not None:
            return circle
    return None


def test_no_import_circles() -> None:
    circle = _find_circle()
    assert circle is None, "import circle: " + " -> ".join(circle or [])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from gatewaysim.gateway import service", ["gatewaysim.gateway.service"]),
        ("from gatewaysim.policy import evaluate", ["gatewaysim.policy.evaluate"]),
        ("from gatewaysim.errors import ConfigError", ["gatewaysim.errors"]),
        ("import gatewaysim.arn", ["gatewaysim.arn"]),
        ("import json", []),
    ],
)
def test_the_walk_reads_each_import_form(tmp_path: Path, source: str, expected: list[str]) -> None:
    path = tmp_path / "x.py"
    path.write_text(source + "\n")
    assert list(imported_modules(path, "gatewaysim.x")) == expected


def test_a_circle_is_reported_with_its_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {"gatewaysim.a": ["gatewaysim.b"], "gatewaysim.b": ["gatewaysim.c"], "gatewaysim.c": ["gatewaysim.a"]}
    monkeypatch.setitem(globals(), "EDGES", fake)
    assert _find_circle() == ["gatewaysim.a", "gatewaysim.b", "gatewaysim.c", "gatewaysim.a"]


def test_at_most_eight_top_level_modules() -> None:
    """A new concern gets a room (a subpackage), not another module beside the vocabulary (issue 11)."""
    top = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert len(top) <= 8, f"{len(top)} top-level modules: {top}"
