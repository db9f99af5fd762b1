"""One hardened reader for every YAML and JSON text gatewaysim reads (configs, policies, templates,
scenario files, key sets, admin API bodies).

Every text is bounded before anyone walks it (SECURITY: a 340-byte YAML alias bomb once cost
15 s and 2.6 GB; deep nesting once raised RecursionError):

* size: at most ``Limits.max_bytes`` (bytes read from a file, or the text's length);
* encoding: UTF-8 (a BOM is dropped); a bad byte is reported with its line and column;
* depth: at most ``Limits.max_depth`` nested lists and mappings, also after YAML aliases are
  expanded; YAML nesting is counted while composing, so the parser never recurses past it;
* YAML aliases: allowed (``<<: *defaults`` is common), but the document they expand to may hold
  at most ``Limits.max_nodes`` values, and an alias may not contain itself;
* numbers: Python's 4,300-digit limit on integers is reported, not raised.

Every failure is a ``DocumentError`` with one located line (``not valid YAML: line 3: ...``);
callers re-raise its problems as their own kind (``ConfigError``, ``PolicyError``).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from gatewaysim.errors import DocumentError, Problem

__all__ = [
    "ADMIN_LIMITS",
    "FILE_LIMITS",
    "POLICY_LIMITS",
    "BoundedSafeLoader",
    "FormatError",
    "Limits",
    "decode_text",
    "load_json",
    "load_json_or_yaml",
    "load_yaml",
    "read_text",
]

_MIB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """What one document may cost: size, nesting depth, values after YAML aliases are expanded."""

    max_bytes: int = 8 * _MIB
    max_depth: int = 100
    max_nodes: int = 1_000_000


FILE_LIMITS: Final = Limits()
"""Files named on the command line or in a config (AWS's own API-definition limit is 6 MB)."""
POLICY_LIMITS: Final = Limits(max_bytes=_MIB, max_nodes=100_000)
"""Policy texts (AWS allows 8,192 characters; drafts may be pretty-printed)."""
ADMIN_LIMITS: Final = Limits(max_bytes=64 * 1024, max_nodes=100_000)
"""Bodies of the admin API."""


def _fail(message: str) -> DocumentError:
    return DocumentError([Problem("", message)])


def _line_column(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def decode_text(data: bytes) -> str:
    """UTF-8 bytes -> text (a BOM dropped); a bad byte is a located ``DocumentError``."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        before = data[: exc.start].decode("utf-8", "replace")
        where = _line_column(before, len(before))
        raise _fail(f"not UTF-8 text: byte `0x{data[start]:02x}` at {where}") from None


def _text(data: str | bytes, limits: Limits) -> str:
    if len(data) > limits.max_bytes:
        raise _fail(f"the document is over the {limits.max_bytes}-byte limit")
    return decode_text(data) if isinstance(data, bytes) else data


def read_text(path: str | Path, limits: Limits = FILE_LIMITS) -> str:
    """A file's text, read up to the size limit; ``OSError`` for the caller, else ``DocumentError``."""
    with open(path, "rb") as file:
        data = file.read(limits.max_bytes + 1)
    return _text(data, limits)


# ---- JSON -----------------------------------------------------------------------------------------


def load_json(data: str | bytes, limits: Limits = FILE_LIMITS) -> Any:
    """Parse JSON within ``limits``; a syntax error says where (``Expecting value at line 1``)."""
    text = _text(data, limits)
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _syntax(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise _fail(f"nested deeper than {limits.max_depth} levels") from None
    except ValueError as exc:  # an integer over Python's digit limit
        raise _fail(f"not valid JSON: {_value_problem(exc)}") from None
    _check_depth(loaded, limits.max_depth)
    return loaded


def _check_depth(value: Any, max_depth: int) -> None:
    """Walk the loaded value without recursion; refuse it when nested deeper than ``max_depth``."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > max_depth:
            raise _fail(f"nested deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children)


class FormatError(DocumentError):
    """The text is not valid JSON (or YAML): another format may still read it. Limit errors are not this."""


def _syntax(message: str) -> FormatError:
    return FormatError([Problem("", message)])


# ---- YAML -----------------------------------------------------------------------------------------


class _TooDeep(yaml.YAMLError):
    def __init__(self, mark: yaml.Mark | None) -> None:
        super().__init__()
        self.mark = mark


class BoundedSafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader whose composer stops at the depth limit before recursing further.

    Timestamps stay text, as CloudFormation reads YAML: ``Version: 2012-10-17`` is a policy's
    version, not a date object. Subclass it to add tags (``imports.cfn_yaml.CfnLoader`` does).
    """

    max_depth = FILE_LIMITS.max_depth
    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, counting the nesting (SECURITY: no RecursionError on deep input)."""
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise _TooDeep(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# Copied, not edited in place, so PyYAML's global SafeLoader stays untouched.
BoundedSafeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(
    data: str | bytes, limits: Limits = FILE_LIMITS, loader: type[BoundedSafeLoader] = BoundedSafeLoader
) -> Any:
    """Parse one YAML document safely within ``limits`` (aliases expanded at most to ``max_nodes``)."""
    text = _text(data, limits)
    reader = loader(text)
    reader.max_depth = limits.max_depth
    try:
        node = reader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, limits)
        return reader.construct_document(node)
    except DocumentError:
        raise
    except _TooDeep as exc:
        raise _fail(f"nested deeper than {limits.max_depth} levels{_at(exc.mark)}") from None
    except yaml.MarkedYAMLError as exc:
        reason = exc.problem or exc.context or "syntax error"
        raise _syntax(f"not valid YAML{_at(exc.problem_mark or exc.context_mark)}: {reason}") from None
    except yaml.YAMLError as exc:
        raise _syntax(f"not valid YAML: {str(exc).splitlines()[0] if str(exc) else 'syntax error'}") from None
    except RecursionError:
        raise _fail(f"nested deeper than {limits.max_depth} levels") from None
    except ValueError as exc:  # an integer over Python's digit limit, a bad timestamp
        raise _fail(f"not valid YAML: {_value_problem(exc)}") from None
    finally:
        reader.dispose()


def _value_problem(exc: ValueError) -> str:
    if "integer string conversion" in str(exc):
        return f"a number has more than {sys.get_int_max_str_digits()} digits"
    return str(exc).splitlines()[0].lower() if str(exc) else "a value cannot be read"


def _at(mark: yaml.Mark | None) -> str:
    return f": line {mark.line + 1}" if mark is not None else ""


def _check_expansion(root: yaml.Node, limits: Limits) -> None:
    """Count the values the node graph expands to (aliases share nodes) and its expanded depth.

    Post-order over the graph without recursion, each node once: ``size`` and ``height`` of a
    node are those of the tree it expands to. A node met again on its own path is a recursive alias.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        kids = _children(node)
        if children_done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            height[key] = 1 + max((height[id(k)] for k in kids), default=0)
            if size[key] > limits.max_nodes:
                raise _fail(f"YAML aliases expand the document to over {limits.max_nodes} values{_at(node.start_mark)}")
            if height[key] > limits.max_depth + 1:
                raise _fail(f"nested deeper than {limits.max_depth} levels once aliases are expanded")
            continue
        if key in size:
            continue
        if key in on_path:
            raise _fail(f"a YAML alias contains itself{_at(node.start_mark)}")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((kid, False) for kid in kids if id(kid) not in size)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


# ---- either ---------------------------------------------------------------------------------------


def load_json_or_yaml(
    data: str | bytes,
    limits: Limits = FILE_LIMITS,
    loader: type[BoundedSafeLoader] = BoundedSafeLoader,
) -> Any:
    """JSON first, then YAML; when neither reads it, the error of the format the text looks like
    (JSON when it starts with ``{`` or ``[``) says where.

    Limit errors (size, depth, aliases, encoding) are raised at once: no second format can help.
    """
    text = _text(data, limits)
    try:
        return load_json(text, limits)
    except FormatError as json_error:
        try:
            return load_yaml(text, limits, loader)
        except FormatError as yaml_error:
            looks_json = text.lstrip()[:1] in ("{", "[")
            message = (json_error if looks_json else yaml_error).problems[0].message
            raise _fail("not valid JSON or YAML:" + message.partition(":")[2]) from None
