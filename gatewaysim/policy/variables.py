"""Policy variables: ``${aws:username}``, defaults ``${key, 'default'}`` and the ``${*}``/``${?}``/``${$}`` escapes.

A value is parsed once into a ``Template`` of parts. At evaluation the variables are looked up in
the request context and rendered **as literal text**: a context value containing ``*`` never becomes
a wildcard (SECURITY: substituting raw text before building a regex is a privilege-escalation
shape). A variable whose key is absent and has no default makes the whole value match nothing.
Multi-valued keys cannot be variables; they count as absent. Variables exist only in policies of
Version ``2012-10-17``; in older policies ``${...}`` is plain text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Literal", "Template", "Variable", "Wild", "parse_template"]

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE = re.compile(r"\s*([^\s,'${}]+)\s*(?:,\s*'([^']*)'\s*)?")
_ESCAPES = frozenset("*?$")


@dataclass(frozen=True, slots=True)
class Wild:
    """Text written in the policy: ``*`` and ``?`` in it are wildcards where the operator allows them."""

    text: str


@dataclass(frozen=True, slots=True)
class Literal:
    """Text that is always literal: an escape such as ``${*}``."""

    text: str


@dataclass(frozen=True, slots=True)
class Variable:
    """A ``${key}`` reference, with its optional default value."""

    key: str  # lower-cased
    default: str | None


Part = Wild | Literal | Variable


@dataclass(frozen=True, slots=True)
class Template:
    """A policy value split into parts."""

    parts: tuple[Part, ...]

    @property
    def has_variables(self) -> bool:
        """True when rendering depends on the request context."""
        return any(isinstance(p, Variable) for p in self.parts)

    def resolve(self, context: Mapping[str, tuple[str, ...]]) -> tuple[Wild | Literal, ...] | None:
        """Replace variables by literal context values; None when one cannot be resolved."""
        out: list[Wild | Literal] = []
        for part in self.parts:
            if not isinstance(part, Variable):
                out.append(part)
                continue
            values = context.get(part.key)
            if values is not None and len(values) == 1:
                out.append(Literal(values[0]))
            elif part.default is not None and not values:
                out.append(Literal(part.default))
            else:
                return None
        return tuple(out)


def parse_template(value: str, *, variables: bool) -> Template:
    """Split ``value`` into parts; raise ValueError on a malformed ``${...}``."""
    if not variables or "${" not in value:
        return Template((Wild(value),))
    parts: list[Part] = []
    position = 0
    for match in _REFERENCE.finditer(value):
        if match.start() > position:
            parts.append(Wild(value[position : match.start()]))
        parts.append(_reference(match.group(1), match.group(0)))
        position = match.end()
    if position < len(value):
        parts.append(Wild(value[position:]))
    return Template(tuple(parts))


def _reference(inner: str, whole: str) -> Part:
    if inner in _ESCAPES:
        return Literal(inner)
    match = _VARIABLE.fullmatch(inner)
    if match is None:
        raise ValueError(f"`{whole}` is not a policy variable (expected `${{key}}` or `${{key, 'default'}}`)")
    return Variable(match.group(1).lower(), match.group(2))


def plain_text(parts: tuple[Wild | Literal, ...]) -> str:
    """Join parts into the literal string (for operators without wildcards)."""
    return "".join(p.text for p in parts)
