"""The hardened YAML/JSON reader: bombs, depth, size, encoding and numbers are located errors.

Issue 17: a 340-byte YAML alias bomb took 15.6 s and 2.66 GB; deep nesting raised RecursionError;
a non-UTF-8 config gave a traceback; error lines printed whole values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatewaysim.errors import DocumentError, Problem, shorten
from gatewaysim.imports.cfn_yaml import load_cfn_yaml
from gatewaysim.safeload import (
    ADMIN_LIMITS,
    FormatError,
    Limits,
    load_json,
    load_json_or_yaml,
    load_yaml,
    read_text,
)

# the classic "billion laughs": 9 levels of 9 aliases, 9**9 values once expanded (~350 bytes)
BOMB = "\n".join(
    ["a: &a [l,l,l,l,l,l,l,l,l]"]
    + [f"{b}: &{b} [" + ",".join([f"*{a}"] * 9) + "]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
)


def message(exc: pytest.ExceptionInfo[DocumentError]) -> str:
    [problem] = exc.value.problems
    return problem.message


def test_the_alias_bomb_is_refused_at_its_anchor() -> None:
    assert len(BOMB) < 360
    with pytest.raises(DocumentError) as info:
        load_yaml(BOMB)
    assert message(info) == "YAML aliases expand the document to over 1000000 values: line 7"


def test_the_admin_limits_refuse_a_smaller_bomb() -> None:
    small = "\n".join(
        ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        + [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 5)]
    )  # 10**5 values
    assert load_yaml(small)["a4"][9][9][9][9] == ["x"] * 10
    with pytest.raises(DocumentError, match="expand the document to over 100000 values"):
        load_yaml(small, ADMIN_LIMITS)


def test_aliases_and_merge_keys_that_stay_small_work() -> None:
    text = "defaults: &d {timeout_s: 5, pool_limit: 10}\napi:\n  forward:\n    <<: *d\n    timeout_s: 7\nagain: *d\n"
    assert load_yaml(text) == {
        "defaults": {"timeout_s": 5, "pool_limit": 10},
        "api": {"forward": {"timeout_s": 7, "pool_limit": 10}},
        "again": {"timeout_s": 5, "pool_limit": 10},
    }


def test_an_alias_that_contains_itself_is_refused() -> None:
    with pytest.raises(DocumentError) as info:
        load_yaml("a: &a [1, *a]\n")
    assert message(info) == "a YAML alias contains itself: line 1"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[" * 5000 + "]" * 5000, 1),  # flow style: PyYAML's composer would recurse 5000 deep
        ("".join(f"{'  ' * i}k{i}:\n" for i in range(150)) + "  " * 150 + "v\n", 100),  # block style
        ("x: " + "{a: " * 3000 + "1" + "}" * 3000, 1),
    ],
)
def test_deep_yaml_is_refused_before_the_parser_recurses(text: str, line: int) -> None:
    with pytest.raises(DocumentError) as info:
        load_yaml(text)
    assert message(info) == f"nested deeper than 100 levels: line {line}"


def test_depth_counts_aliases_expanded() -> None:
    deep = "[" * 60 + "1" + "]" * 60
    text = f"a: &a {deep}\nb: " + "[" * 60 + "*a" + "]" * 60 + "\n"
    with pytest.raises(DocumentError, match="nested deeper than 100 levels once aliases are expanded"):
        load_yaml(text)


@pytest.mark.parametrize("depth", [100_000, 2_000, 101])
def test_deep_json_is_a_located_error_not_a_recursion_error(depth: int) -> None:
    with pytest.raises(DocumentError) as info:
        load_json("[" * depth + "]" * depth)
    assert message(info) == "nested deeper than 100 levels"


def test_json_at_the_depth_limit_reads() -> None:
    assert load_json("[" * 100 + "]" * 100) == json.loads("[" * 100 + "]" * 100)


def test_non_utf8_bytes_are_located() -> None:
    with pytest.raises(DocumentError) as info:
        load_yaml(b"api:\n  id: caf\xe9\n")
    assert message(info) == "not UTF-8 text: byte `0xe9` at line 2, column 10"


def test_a_utf8_bom_is_dropped() -> None:
    assert load_json("\ufeff{}".encode()) == {}


def test_size_limit() -> None:
    with pytest.raises(DocumentError) as info:
        load_json(b"[" + b"1," * 40 + b"1]", Limits(max_bytes=64))
    assert message(info) == "the document is over the 64-byte limit"


def test_read_text_reads_no_more_than_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 1000)
    assert read_text(big, Limits(max_bytes=1000)) == "#" * 1000
    with pytest.raises(DocumentError, match="over the 999-byte limit"):
        read_text(big, Limits(max_bytes=999))


@pytest.mark.parametrize("load", [load_json, load_yaml])
def test_an_integer_over_pythons_digit_limit_is_located(load: object) -> None:
    with pytest.raises(DocumentError, match="^document: not valid (JSON|YAML): a number has more than 4300 digits$"):
        load("[" + "9" * 5000 + "]")  # type: ignore[operator]


def test_syntax_errors_are_format_errors_with_a_line() -> None:
    with pytest.raises(FormatError) as info:
        load_json('{"a": }')
    assert message(info) == "not valid JSON: Expecting value at line 1, column 7"
    with pytest.raises(FormatError) as info:
        load_yaml("a: [1\nb: 2\n")
    assert message(info).startswith("not valid YAML: line 2: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("a: 1\n", {"a": 1}),
        ("{not json", "not valid JSON or YAML: Expecting property name enclosed in double quotes at line 1, column 2"),
        ("a: [\n", "not valid JSON or YAML: line 2: expected the node content, but found '<stream end>'"),
    ],
)
def test_json_or_yaml_reports_the_format_the_text_looks_like(text: str, expected: object) -> None:
    if isinstance(expected, str):
        with pytest.raises(DocumentError) as info:
            load_json_or_yaml(text)
        assert message(info) == expected
    else:
        assert load_json_or_yaml(text) == expected


def test_a_limit_error_is_not_retried_as_yaml() -> None:
    with pytest.raises(DocumentError) as info:
        load_json_or_yaml("[" * 200 + "]" * 200)
    assert not isinstance(info.value, FormatError)


def test_cloudformation_tags_are_bounded_too() -> None:
    assert load_cfn_yaml("A: !Ref B\n") == {"A": {"Ref": "B"}}
    with pytest.raises(DocumentError, match="YAML aliases expand"):
        load_cfn_yaml(BOMB)


def test_error_lines_quote_at_most_100_characters_of_a_value() -> None:
    value = "x" * 60_000
    problem = Problem("Statement[0].Resource", f"`{value}` is not an ARN or `*`")
    assert problem.message == f"`{'x' * 100}...` (60000 characters) is not an ARN or `*`"
    assert len(Problem("", "y" * 10_000).message) < 700
    assert shorten("short `value`") == "short `value`"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Version: 2012-10-17", {"Version": "2012-10-17"}),
        ("t: 2020-01-01T00:00:00Z", {"t": "2020-01-01T00:00:00Z"}),
        ("t: 2020-01-01 10:00:00", {"t": "2020-01-01 10:00:00"}),
        ("n: 12", {"n": 12}),  # other implicit types stay as they were
        ("b: true", {"b": True}),
    ],
)
def test_yaml_timestamps_stay_text(text: str, expected: object) -> None:
    # as CloudFormation reads YAML: `Version: 2012-10-17` is the policy version, not a date object
    assert load_yaml(text) == expected
    assert load_json_or_yaml(text) == expected
