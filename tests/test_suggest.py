"""``did you mean``: the closest known name, case-insensitively, or nothing."""

from __future__ import annotations

import pytest

from gatewaysim.suggest import closest, did_you_mean

KEYS = ("aws:SourceIp", "aws:SourceVpce", "aws:SourceVpc", "aws:PrincipalArn")


@pytest.mark.parametrize(
    ("word", "known", "expected"),
    [
        ("trusted_proxy", ("principal_header", "headers", "trusted_proxies", "secure_transport"), "trusted_proxies"),
        ("SourceIp", KEYS, "aws:SourceIp"),  # the key without its prefix
        ("sourceip", KEYS, "aws:SourceIp"),  # case does not matter; the known spelling is kept
        ("aws:SourceIps", KEYS, "aws:SourceIp"),
        ("simulat", ("serve", "simulate", "check", "test", "policy"), "simulate"),
        ("lst", ("get", "put", "delete", "list"), "list"),
        ("colour", ("id", "account", "region"), None),  # nothing close
        ("aws:SourceIp", KEYS, None),  # already known: no suggestion
        ("", KEYS, None),
        ("x" * 10_000, KEYS, None),  # bounded: a huge input is not compared
    ],
)
def test_closest(word: str, known: tuple[str, ...], expected: str | None) -> None:
    assert closest(word, known) == expected


def test_did_you_mean_is_a_message_suffix() -> None:
    assert did_you_mean("trusted_proxy", ["trusted_proxies"]) == " (did you mean `trusted_proxies`?)"
    assert did_you_mean("zzz", ["trusted_proxies"]) == ""
