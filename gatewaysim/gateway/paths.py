"""Request-line normalisation: ONE path is both judged (the method ARN) and forwarded.

AWS does not document how API Gateway treats dot segments, ``//``, ``%2F`` or a trailing slash
(spec 1.2, 12.2), so gatewaysim takes the safe choice: it normalises only what cannot change the
meaning of a path, and refuses every path a backend could read differently from the policy.

Input is the raw request target (aiohttp's ``request.raw_path``, never ``request.path``, which
is already decoded and dot-collapsed). Rules, in order:

1. The target must be origin-form (start with ``/``); no fragment (``#``).
2. Every raw character must be an RFC 3986 path character (unreserved, sub-delims, ``:``,
   ``@``, ``%``, ``/``). Backslashes, spaces, control characters and non-ASCII are refused, and
   so is ``;`` (raw or ``%3B``): Tomcat, Jetty and Spring read ``/admin;x`` as ``/admin`` and
   ``/public/..;/secret`` as ``/secret`` (path parameters), while a policy would judge
   ``admin;x``. Refusing it is the only rule that holds for every backend.
3. Percent-encoding must be well formed (``%`` + two hex digits). Encoded *unreserved*
   characters are decoded (``%61`` -> ``a``, ``%2e`` -> ``.``); every other escape is kept, with
   upper-case hex (``%c3%a9`` -> ``%C3%A9``). Encoded ``/`` (``%2F``), ``\\`` (``%5C``) and
   encoded control characters (``%00``-``%1F``, ``%7F``) are refused. Decoding runs once, so
   ``%252e`` stays ``%252e``.
4. The first segment is the stage (slashes before it are one: ``//prod/pets`` is
   ``/prod/pets``). After it, the path is split on ``/``: ``.`` and ``..`` segments (raw or
   decoded) are refused. Empty segments (``/prod//pets``, ``/prod/pets//1``, a trailing ``/``)
   collapse: the path judged, routed and forwarded is ``/pets`` or ``/pets/1``. AWS accepts all of
   these (spec 18.4, recorded against AWS: ``/stage/proxy-value/`` and ``/stage//proxy-value``
   reach ``{proxy+}`` as ``proxy-value``). Collapsing rather than keeping them is the safe
   reading: many backends serve ``/admin/`` or ``//admin`` as ``/admin``, so a Deny on
   ``.../GET/admin`` must cover them, and it does because they are judged as ``admin``. The path
   as sent (``Target.sent``) is kept for the Lambda proxy event's ``path`` and
   ``requestContext.path``, which show it as AWS does. A segment ending in ``.`` (``admin.``,
   ``admin..``) or starting or ending in an encoded space (``admin%20``) is refused:
   Windows/IIS and some frameworks trim them.
5. Case is kept (API Gateway paths are case-sensitive).

The method must be one API Gateway routes (``ROUTABLE_METHODS``, upper case): a lower-case
``get`` or an unknown verb never reaches a policy, so no backend can read it as ``GET``.

A refused request gets the gateway's answer for a path that names no resource: 403
``Missing Authentication Token`` (spec 6.2), the same as an unknown stage, so a caller learns
nothing about why; the access log records the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["ROUTABLE_METHODS", "Rejected", "Target", "check_method", "normalise_path", "parse_target"]

ROUTABLE_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# SECURITY: anything outside RFC 3986 pchar (and `/`) is refused, backslash and controls included.
_BAD_PATH_CHAR: Final = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@%/]")
_ESCAPE: Final = re.compile(r"%([0-9A-Fa-f]{2})")
_LONE_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BAD_QUERY_CHAR: Final = re.compile(r"[\x00-\x20\x7f#]")
_DOT_SEGMENTS: Final = frozenset({".", ".."})
_SPACE: Final = "%20"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A request line the gateway refuses, with the reason for the log."""

    reason: str


@dataclass(frozen=True, slots=True)
class Target:
    """A normalised request target: ``/{stage}{path}?{query_string}``.

    ``path`` is what follows the stage (``/`` for the root, ``/pets/1`` otherwise); it is the
    path in the method ARN and, with ``strip_stage``, the path the backend gets. ``sent`` is the
    path as the client sent it, stage included, with the escapes of rule 3 applied and the
    slashes before the stage made one (``/prod//pets/``); empty for a target built by hand.
    """

    stage: str
    path: str
    query_string: str
    sent: str = ""

    @property
    def full_path(self) -> str:
        """The normalised path with its stage: ``/prod/pets/1`` (``/prod/`` for the root)."""
        return f"/{self.stage}{self.path}"


def check_method(method: str) -> Rejected | None:
    """None when API Gateway would route ``method``; a rejection otherwise."""
    if method in ROUTABLE_METHODS:
        return None
    return Rejected(f"method `{method}` is not routable")


def parse_target(raw_target: str) -> Target | Rejected:
    """Split and normalise a raw request target (``request.raw_path``) into stage, path, query."""
    path, _, query = raw_target.partition("?")
    if _BAD_QUERY_CHAR.search(query):
        return Rejected("query string holds a control character, space or `#`")
    normal = normalise_path(path)
    if isinstance(normal, Rejected):
        return normal
    sent = "/" + normal.lstrip("/")  # `//prod/pets` names the stage `prod` (spec 18.4)
    stage, _, rest = sent[1:].partition("/")
    if not stage:
        return Rejected("no stage in the path")
    if stage in _DOT_SEGMENTS:
        return Rejected("dot segment in the path")
    # SECURITY: `//` and a trailing `/` collapse, so one path is judged, routed and forwarded (rule 4)
    segments = [s for s in rest.split("/") if s]
    if not segments:
        return Target(stage, "/", query, sent)  # `/prod`, `/prod/` and `/prod//` are the root
    if any(s in _DOT_SEGMENTS for s in segments):
        return Rejected("dot segment in the path")  # SECURITY: `..` could climb out of the ARN
    trimmed = next((s for s in segments if s.endswith((".", _SPACE)) or s.startswith(_SPACE)), None)
    if trimmed is not None:  # SECURITY: backends that trim `admin.` or `admin%20` serve `admin`
        return Rejected(f"segment `{trimmed}` ends in `.` or starts or ends in a space (rule 4)")
    return Target(stage, "/" + "/".join(segments), query, sent)


def normalise_path(raw_path: str) -> str | Rejected:
    """Rules 1-3 on a raw path without its query: the decoded-unreserved form, or a rejection."""
    if not raw_path.startswith("/"):
        return Rejected("request target is not an origin-form path")
    if ";" in raw_path:  # SECURITY: path parameters (rule 2): `/admin;x` is `/admin` to Tomcat
        return Rejected("`;` in the path (servlet containers read `admin;x` as `admin`)")
    bad = _BAD_PATH_CHAR.search(raw_path)
    if bad is not None:
        return Rejected(f"character {_show(bad.group())} is not allowed in a path")
    if _LONE_PERCENT.search(raw_path):
        return Rejected("malformed percent-encoding")
    out: list[str] = []
    last = 0
    for escape in _ESCAPE.finditer(raw_path):
        code = int(escape.group(1), 16)
        char = chr(code)
        if char in "/\\":
            return Rejected("encoded `/` or `\\` in the path")  # SECURITY: %2F/%5C split segments
        if code < 0x20 or code == 0x7F:
            return Rejected("encoded control character in the path")
        if char == ";":
            return Rejected("encoded `;` in the path (rule 2)")
        out.append(raw_path[last : escape.start()])
        out.append(char if char in _UNRESERVED else "%" + escape.group(1).upper())
        last = escape.end()
    out.append(raw_path[last:])
    return "".join(out)


def _show(char: str) -> str:
    """A character for a log line: printable ones in backticks, others as ``U+XXXX``."""
    return f"`{char}`" if char.isprintable() and char != "`" else f"U+{ord(char):04X}"
