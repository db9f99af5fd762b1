"""Wildcards to matchers, in linear time: IAM's ``*`` and ``?`` never become a backtracking regex.

* Actions: case-insensitive, ``*`` and ``?`` anywhere (``execute-api:Inv*``).
* Resources and ARN condition values: case-sensitive and compared as ARNs: the first five
  colon-separated segments (``arn``, partition, service, region, account) are matched one by one, so a
  ``*`` there never swallows a ``:``; in the sixth part (the resource) ``*`` crosses ``/`` and ``:``.
  A pattern with fewer than six segments lets its last segment match the rest of the ARN
  (``arn:aws:execute-api:*`` covers every execute-api ARN; AWS does not document this case). The
  ARN condition operators are documented to compare each of the six components, so there a short
  pattern never swallows the rest.
* ``StringLike``: case-sensitive glob over the whole string.

Patterns arrive as chunks ``(text, wild)``: in a chunk with ``wild`` False (an ``${*}`` escape or
a substituted variable) every character is literal.

How (SECURITY: a Deny on ``/*/*/a/*/b/*/c/*/admin`` against a 1,530-character path once took over
60 s as a regex): a glob is split at its ``*`` into fixed-length pieces. The first piece must sit
at the start, the last at the end, and each middle piece is found leftmost after the previous one
(a piece found further right can always be moved left, so leftmost never misses a match). Each
text position is scanned once per pattern: a piece of literal text by ``str.find`` (C), a piece
with ``?`` inside by a regex of literals and ``.`` (no quantifier, so no backtracking) when short,
else bit-parallel (all start positions at once, as the bits of one integer). Matching a pattern of
length ``m`` against a text of length ``n`` costs O(n + m), at most O(n * 16) machine steps for a
piece with ``?`` inside.

Compiled matchers are remembered in ``MATCHER_CACHE``, bounded by the pattern text it holds.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Final, Generic, TypeVar

__all__ = [
    "MATCHER_CACHE",
    "Chunk",
    "ByteBoundedCache",
    "Matcher",
    "action_matcher",
    "arn_matcher",
    "glob_matcher",
    "has_wildcard",
    "wildcard_count",
]

Matcher = Callable[[str], bool]
Chunk = tuple[str, bool]
_STAR: Final = object()  # a `*` wildcard token
_QMARK: Final = object()  # a `?` wildcard token
_SHORT_PIECE: Final = 16  # a piece with inner `?` at most this long is searched by a plain regex
Token = str | object  # one literal character, or _STAR / _QMARK


def has_wildcard(pattern: str) -> bool:
    """True when ``pattern`` holds ``*`` or ``?``."""
    return "*" in pattern or "?" in pattern


def wildcard_count(pattern: str) -> int:
    """How many ``*`` and ``?`` ``pattern`` holds (``check`` warns about patterns with many)."""
    return pattern.count("*") + pattern.count("?")


# ---- one piece: fixed-length text between two `*`, with `?` as any one character ------------------


class _Piece:
    """A run of literal characters and ``?``: fixed length, found leftmost in linear time."""

    __slots__ = ("_find", "length", "literal", "_parts")

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.length = len(tokens)
        holes = [i for i, t in enumerate(tokens) if t is _QMARK]
        self.literal = "".join(t for t in tokens if isinstance(t, str)) if not holes else None
        self._parts = _runs(tokens)  # (offset, literal run) between the `?`s: what `at` compares
        self._find = self._searcher(tokens, holes)

    def at(self, text: str, position: int) -> bool:
        """True when the piece matches ``text`` at ``position`` (the caller checked the length)."""
        if self.literal is not None:
            return text.startswith(self.literal, position)
        return all(text.startswith(run, position + offset) for offset, run in self._parts)

    def find(self, text: str, start: int, end: int) -> int:
        """The leftmost position ``p >= start`` where the piece matches, ending by ``end``; -1 if none."""
        if end - start < self.length:
            return -1
        return self._find(text, start, end)

    def _searcher(self, tokens: Sequence[Token], holes: list[int]) -> Callable[[str, int, int], int]:
        if self.literal is not None:
            literal = self.literal
            return lambda text, start, end: text.find(literal, start, end)
        if len(holes) == self.length:  # only `?`: any position with room
            return lambda text, start, end: start
        if self.length <= _SHORT_PIECE:
            source = "".join(re.escape(t) if isinstance(t, str) else "." for t in tokens)
            regex = re.compile(source, re.DOTALL)  # literals and `.` only: no backtracking

            def search(text: str, start: int, end: int) -> int:
                found = regex.search(text, start, end)
                return found.start() if found is not None else -1

            return search
        return _bit_parallel(tokens)


def _runs(tokens: Sequence[Token]) -> tuple[tuple[int, str], ...]:
    runs: list[tuple[int, str]] = []
    start: int | None = None
    for index, token in enumerate([*tokens, _QMARK]):
        if isinstance(token, str):
            start = index if start is None else start
        elif start is not None:
            runs.append((start, "".join(t for t in tokens[start:index] if isinstance(t, str))))
            start = None
    return tuple(runs)


def _bit_parallel(tokens: Sequence[Token]) -> Callable[[str, int, int], int]:
    """Search for a long piece with ``?``: every start position at once, as the bits of one integer.

    For each literal character of the piece, the text's positions holding it become an integer
    (``bytes.translate`` and ``int(..., 2)``, in C); shifting each by its offset in the piece and
    AND-ing them leaves the positions where the whole piece matches: O(n * m / 30) machine work and
    no per-character Python loop. A text outside Latin-1 falls back to Shift-And (one Python pass).
    """
    literal = tuple((offset, token) for offset, token in enumerate(tokens) if isinstance(token, str))
    chars = {char for _, char in literal}
    tables = {char: _ONE_TABLES[ord(char)] for char in chars if ord(char) < 256}
    length, fallback = len(tokens), _shift_and(tokens)

    def search(text: str, start: int, end: int) -> int:
        try:
            window = text[start:end].encode("latin-1")
        except UnicodeEncodeError:
            return fallback(text, start, end)
        if len(tables) < len(chars):  # a character Latin-1 text cannot hold
            return -1
        bits = {char: int(window.translate(table)[::-1], 2) for char, table in tables.items()}
        candidates = (1 << (len(window) - length + 1)) - 1
        for offset, char in literal:
            candidates &= bits[char] >> offset
            if not candidates:
                return -1
        return start + (candidates & -candidates).bit_length() - 1

    return search


def _one_table(code: int) -> bytes:
    table = bytearray(b"0" * 256)
    table[code] = ord("1")
    return bytes(table)


_ONE_TABLES: Final = tuple(_one_table(code) for code in range(256))


def _shift_and(tokens: Sequence[Token]) -> Callable[[str, int, int], int]:
    """Shift-And over any text: one pass, O(n * m / 30)."""
    any_char = 0
    masks: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token is _QMARK:
            any_char |= 1 << index
    for index, token in enumerate(tokens):
        if isinstance(token, str):
            masks[token] = masks.get(token, any_char) | (1 << index)
    final = 1 << (len(tokens) - 1)

    def search(text: str, start: int, end: int) -> int:
        state = 0
        get = masks.get
        for position in range(start, end):
            state = ((state << 1) | 1) & get(text[position], any_char)
            if state & final:
                return position - len(tokens) + 1
        return -1

    return search


# ---- a glob: pieces between `*` ------------------------------------------------------------------


class _Glob:
    """A whole-string glob over tokens (``*``, ``?`` and literal characters)."""

    __slots__ = ("_first", "_last", "_middle", "_min", "_starred")

    def __init__(self, tokens: Sequence[Token]) -> None:
        pieces: list[list[Token]] = [[]]
        for token in tokens:
            if token is _STAR:
                pieces.append([])
            else:
                pieces[-1].append(token)
        self._starred = len(pieces) > 1
        self._first = _Piece(pieces[0])
        self._last = _Piece(pieces[-1]) if self._starred else self._first
        self._middle = tuple(_Piece(p) for p in pieces[1:-1] if p)
        self._min = sum(p.length for p in (self._first, *self._middle)) + (self._last.length if self._starred else 0)

    def __call__(self, text: str) -> bool:
        size = len(text)
        first, last = self._first, self._last
        if not self._starred:
            return size == first.length and first.at(text, 0)
        if size < self._min or not first.at(text, 0) or not last.at(text, size - last.length):
            return False
        position, end = first.length, size - last.length
        for piece in self._middle:
            found = piece.find(text, position, end)
            if found < 0:
                return False
            position = found + piece.length
        return True


def _tokens(chunks: Sequence[Chunk], fold: bool) -> list[Token]:
    out: list[Token] = []
    for text, wild in chunks:
        for char in text.lower() if fold else text:
            out.append(_STAR if wild and char == "*" else _QMARK if wild and char == "?" else char)
    return out


def _split_colons(tokens: list[Token], limit: int) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    for token in tokens:
        if token == ":" and len(parts) <= limit:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


class _Segmented:
    """An ARN pattern: each of the first colon segments matched alone, the rest as one glob."""

    __slots__ = ("_exact", "_globs", "_split")

    def __init__(self, parts: list[list[Token]], exact: bool) -> None:
        self._globs = tuple(_Glob(part) for part in parts)
        self._split = len(parts) - 1  # colons that separate matched-alone segments
        self._exact = exact  # strict short pattern: the text has exactly as many colons

    def __call__(self, text: str) -> bool:
        values = text.split(":", self._split)
        if len(values) != len(self._globs) or (self._exact and ":" in values[-1]):
            return False
        return all(glob(value) for glob, value in zip(self._globs, values, strict=True))


def _compile(chunks: tuple[Chunk, ...], arn: bool, strict: bool, ignore_case: bool) -> Matcher:
    tokens = _tokens(chunks, ignore_case)
    colons = sum(1 for t in tokens if t == ":")
    if arn and colons >= 5:
        return _Segmented(_split_colons(tokens, 5), exact=False)
    if arn and strict:
        return _Segmented(_split_colons(tokens, colons), exact=True)
    glob = _Glob(tokens)
    if ignore_case:
        return lambda text: glob(text.lower())
    return glob


# ---- a cache bounded by the pattern text it holds -------------------------------------------------

K = TypeVar("K")
V = TypeVar("V")


class ByteBoundedCache(Generic[K, V]):
    """Least-recently-used values, bounded by the total ``size`` of their keys (and a count)."""

    def __init__(self, max_bytes: int, max_items: int, size: Callable[[K], int]) -> None:
        self.max_bytes, self.max_items, self._size = max_bytes, max_items, size
        self._items: OrderedDict[K, V] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K, build: Callable[[], V]) -> V:
        """The value for ``key``, built (and remembered, evicting the oldest) when absent."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
            return value
        value = build()
        size = self._size(key)
        if size <= self.max_bytes // 8:  # a very large pattern is compiled afresh, never kept
            self._items[key] = value
            self.bytes += size
            while self.bytes > self.max_bytes or len(self._items) > self.max_items:
                old, _ = self._items.popitem(last=False)
                self.bytes -= self._size(old)
        return value

    def clear(self) -> None:
        """Forget everything."""
        self._items.clear()
        self.bytes = 0


_Key = tuple[tuple[Chunk, ...], bool, bool, bool]


def _key_size(key: _Key) -> int:
    return 64 + sum(len(text) * 4 for text, _ in key[0])  # ~ the compiled pieces' size


MATCHER_CACHE: Final[ByteBoundedCache[_Key, Matcher]] = ByteBoundedCache(4 * 1024 * 1024, 8192, _key_size)
"""Compiled matchers shared by every policy: at most ~4 MiB of pattern text (SECURITY: a stream
of distinct policies, or of distinct rendered policy variables, cannot grow memory)."""


def glob_matcher(chunks: Sequence[Chunk], *, arn: bool, strict: bool = False, ignore_case: bool = False) -> Matcher:
    """A matcher for a glob (``arn`` False) or an ARN pattern (``arn`` True) over whole strings.

    ``strict`` (ARN condition operators, documented as comparing each of the six components) keeps
    every ``*`` of a short pattern inside its segment instead of letting the last one swallow the rest.
    """
    key = (tuple(chunks), arn, strict, ignore_case)
    return MATCHER_CACHE.get(key, lambda: _compile(key[0], arn, strict, ignore_case))


def action_matcher(patterns: tuple[str, ...]) -> Matcher:
    """Case-insensitive matcher for an Action/NotAction list."""
    if "*" in patterns:
        return _always
    plain = frozenset(p.lower() for p in patterns if not has_wildcard(p))
    globs = tuple(glob_matcher([(p, True)], arn=False, ignore_case=True) for p in patterns if has_wildcard(p))
    if not globs:
        return lambda action: action.lower() in plain
    return lambda action: action.lower() in plain or any(glob(action) for glob in globs)


def arn_matcher(patterns: Sequence[str]) -> Matcher:
    """Case-sensitive ARN matcher for a list of patterns (``*`` alone matches anything)."""
    if "*" in patterns:
        return _always
    plain = frozenset(p for p in patterns if not has_wildcard(p))
    globs = tuple(glob_matcher([(p, True)], arn=True) for p in patterns if has_wildcard(p))
    if not globs:
        return plain.__contains__
    return lambda arn: arn in plain or any(glob(arn) for glob in globs)


def _always(_: str) -> bool:
    return True
