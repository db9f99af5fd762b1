"""The linear-time matcher answers exactly as the old backtracking regex did (issue 17).

Every mode: plain globs (``StringLike``), ARN patterns with and without six segments, the strict
ARN condition operators, case-insensitive actions, literal chunks (``${*}`` escapes, substituted
variables), pieces with ``?`` short and long (the bit-parallel search). Texts are drawn at random
and also built from the pattern itself, so that matches are common.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from gatewaysim.policy.matching import MATCHER_CACHE, ByteBoundedCache, glob_matcher, wildcard_count
from tests.policy.regex_oracle import oracle_matches

PATTERN_CHARS = st.sampled_from(list("ab:*?./\n\0+(|"))
TEXT_CHARS = st.sampled_from(list("ab:./\n\0+(|*?"))
CHUNKS = st.lists(st.tuples(st.text(PATTERN_CHARS, max_size=8), st.booleans()), min_size=1, max_size=4)


def _expand(chunks: Sequence[tuple[str, bool]], fills: st.DataObject) -> str:
    """A text the pattern could match: each `*` filled with a random run, each `?` with one character."""
    out = []
    for text, wild in chunks:
        for char in text:
            if wild and char == "*":
                out.append(fills.draw(st.text(TEXT_CHARS, max_size=4)))
            elif wild and char == "?":
                out.append(fills.draw(TEXT_CHARS))
            else:
                out.append(char)
    return "".join(out)


def _same(chunks: Sequence[tuple[str, bool]], text: str, **mode: bool) -> None:
    expected = oracle_matches(chunks, text, **mode)
    assert glob_matcher(chunks, **mode)(text) is expected, (chunks, text, mode)


@given(chunks=CHUNKS, text=st.text(TEXT_CHARS, max_size=16), arn=st.booleans(), strict=st.booleans())
def test_random_texts(chunks: list[tuple[str, bool]], text: str, arn: bool, strict: bool) -> None:
    _same(chunks, text, arn=arn, strict=strict)


@given(chunks=CHUNKS, data=st.data(), arn=st.booleans(), strict=st.booleans())
def test_texts_built_from_the_pattern(
    chunks: list[tuple[str, bool]], data: st.DataObject, arn: bool, strict: bool
) -> None:
    _same(chunks, _expand(chunks, data), arn=arn, strict=strict)


SEGMENT = st.text(st.sampled_from(list("ab*?-/")), max_size=4)


@given(
    segments=st.lists(SEGMENT, min_size=6, max_size=8),
    data=st.data(),
    strict=st.booleans(),
)
def test_six_segment_arn_patterns(segments: list[str], data: st.DataObject, strict: bool) -> None:
    chunks = [(":".join(segments), True)]
    _same(chunks, _expand(chunks, data), arn=True, strict=strict)
    _same(chunks, data.draw(st.text(st.sampled_from(list("ab-/:")), max_size=20)), arn=True, strict=strict)


@given(
    pattern=st.text(st.sampled_from(list("aAbB:*?-")), max_size=10),
    data=st.data(),
)
def test_actions_ignore_case(pattern: str, data: st.DataObject) -> None:
    text = _expand([(pattern, True)], data)
    for candidate in (text, text.swapcase(), data.draw(st.text(st.sampled_from(list("aAbB:-")), max_size=10))):
        _same([(pattern, True)], candidate, arn=False, ignore_case=True)


@settings(max_examples=80)
@given(
    inner=st.text(st.sampled_from(list("abΩ?")), min_size=1, max_size=150),
    data=st.data(),
    stars=st.sampled_from(["*{}*", "x*{}*y", "*{}", "{}*", "*a*{}*b*"]),
    alphabet=st.sampled_from(["ab", "abé", "abΩ"]),  # Latin-1 texts go bit-parallel, others Shift-And
)
def test_long_and_short_pieces_with_question_marks(inner: str, data: st.DataObject, stars: str, alphabet: str) -> None:
    pattern = stars.format(inner)
    chunks = [(pattern, True)]
    for text in (_expand(chunks, data), data.draw(st.text(st.sampled_from(list(alphabet)), max_size=300))):
        _same(chunks, text, arn=False)


def test_literal_chunks_keep_wildcard_characters_literal() -> None:
    chunks = [("arn:aws:s3:::b/", True), ("*?", False), ("*", True)]
    assert glob_matcher(chunks, arn=True)("arn:aws:s3:::b/*?x")
    assert not glob_matcher(chunks, arn=True)("arn:aws:s3:::b/xyz")


def test_the_cache_is_bounded_by_the_pattern_text_it_holds() -> None:
    cache: ByteBoundedCache[str, int] = ByteBoundedCache(max_bytes=1000, max_items=100, size=len)
    for i in range(50):
        cache.get(f"{i:03d}" + "x" * 97, lambda: 1)  # 100 bytes each
    assert cache.bytes <= 1000 and len(cache) == 10
    cache.get("y" * 200, lambda: 2)  # over an eighth of the budget: built, never kept
    assert len(cache) == 10 and cache.bytes <= 1000
    assert MATCHER_CACHE.max_bytes == 4 * 1024 * 1024


def test_wildcard_count() -> None:
    assert wildcard_count("/*/*/a/*/b/*/c/*/admin") == 5
    assert wildcard_count("arn:aws:iam::?????????????:role/x") == 13
