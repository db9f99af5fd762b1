"""Request-line normalisation: one path is judged and forwarded; ambiguous paths are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatewaysim.gateway.paths import ROUTABLE_METHODS, Rejected, Target, check_method, normalise_path, parse_target


@pytest.mark.parametrize(
    ("raw", "stage", "path", "query"),
    [
        ("/prod", "prod", "/", ""),
        ("/prod/", "prod", "/", ""),
        ("/prod?x=1", "prod", "/", "x=1"),
        ("/prod/pets", "prod", "/pets", ""),
        ("/prod/pets/1?a=1&b=%2F", "prod", "/pets/1", "a=1&b=%2F"),  # the query is kept verbatim
        ("/prod/%70ets", "prod", "/pets", ""),  # encoded unreserved characters are decoded
        ("/%70rod/pets", "prod", "/pets", ""),
        ("/prod/a%7Eb%2Dc%5Fd", "prod", "/a~b-c_d", ""),
        ("/prod/foo%2ebar", "prod", "/foo.bar", ""),  # a dot inside a segment is harmless
        ("/prod/.well-known/x", "prod", "/.well-known/x", ""),  # a leading dot is an ordinary name
        ("/prod/a%20b", "prod", "/a%20b", ""),  # reserved escapes stay encoded
        ("/prod/caf%c3%a9", "prod", "/caf%C3%A9", ""),  # hex upper-cased
        ("/prod/%252e%252e", "prod", "/%252e%252e", ""),  # decoded once only
        ("/prod/Pets", "prod", "/Pets", ""),  # case kept
        ("/prod/a=b/d@e:f", "prod", "/a=b/d@e:f", ""),
    ],
)
def test_accepted(raw: str, stage: str, path: str, query: str) -> None:
    target = parse_target(raw)
    assert isinstance(target, Target), target
    assert (target.stage, target.path, target.query_string) == (stage, path, query)


# Spec 18.4 (recorded against AWS): API Gateway accepts these; the path judged, routed and
# forwarded has its empty segments collapsed, and the path as sent is kept for the proxy event.
@pytest.mark.parametrize(
    ("raw", "path", "sent"),
    [
        ("/stage/proxy-value/", "/proxy-value", "/stage/proxy-value/"),
        ("/stage/proxy-value//double-slash", "/proxy-value/double-slash", "/stage/proxy-value//double-slash"),
        ("//stage/proxy-value", "/proxy-value", "/stage/proxy-value"),
        ("/stage//proxy-value", "/proxy-value", "/stage//proxy-value"),
        ("/stage//hardcoded", "/hardcoded", "/stage//hardcoded"),
        ("/stage//", "/", "/stage//"),
        ("/stage/admin/?x=1", "/admin", "/stage/admin/"),
        ("/stage/%61dmin//", "/admin", "/stage/admin//"),  # judged after rule 3's decoding
    ],
)
def test_empty_segments_collapse_and_the_sent_path_is_kept(raw: str, path: str, sent: str) -> None:
    target = parse_target(raw)
    assert isinstance(target, Target), target
    assert (target.stage, target.path, target.sent) == ("stage", path, sent)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("/prod/../admin", "dot segment"),
        ("/prod/./admin", "dot segment"),
        ("/prod/pets/..", "dot segment"),
        ("/prod/%2e%2e/admin", "dot segment"),
        ("/prod/%2E%2E/admin", "dot segment"),
        ("/prod/.%2e/admin", "dot segment"),
        ("/prod/%2e/admin", "dot segment"),
        ("/../prod/admin", "dot segment"),
        ("/%2e%2e/prod", "dot segment"),
        ("/prod/a%2Fb", "encoded `/`"),
        ("/prod/a%2fb", "encoded `/`"),
        ("/prod/a%5Cb", "encoded `/` or `\\`"),
        ("/prod/a\\b", "character `\\`"),
        ("/", "no stage"),
        ("//", "no stage"),
        ("/prod//..//admin", "dot segment"),
        ("/prod/admin/./", "dot segment"),
        ("/prod/admin.//", "ends in `.`"),
        ("/prod/a%00b", "control character"),
        ("/prod/a%0ab", "control character"),
        ("/prod/a%7f", "control character"),
        ("/prod/a\x00b", "U+0000"),
        ("/prod/a b", "character ` `"),
        ("/prod/caf\u00e9", "character"),
        ("/prod/a%zz", "malformed percent-encoding"),
        ("/prod/a%2", "malformed percent-encoding"),
        ("/prod/a%", "malformed percent-encoding"),
        ("/prod/%u002e%u002e", "malformed percent-encoding"),
        ("/prod/a#frag", "character `#`"),
        ("/prod/a?b#frag", "query string"),
        ("/prod/a?b=\x01", "query string"),
        ("http://evil/prod/pets", "origin-form"),
        ("*", "origin-form"),
        ("prod/pets", "origin-form"),
        # issue 17: what Tomcat, Spring, IIS and others trim or split (rules 2 and 4)
        ("/prod/public/..;/secret", "`;` in the path"),
        ("/prod/public/..;x/secret", "`;` in the path"),
        ("/prod/public/.;/secret", "`;` in the path"),
        ("/prod/admin;x", "`;` in the path"),
        ("/prod/admin;jsessionid=1/keys", "`;` in the path"),
        ("/prod/admin%3Bx", "encoded `;`"),
        ("/prod/public/..%3B/secret", "encoded `;`"),
        ("/prod/admin.", "ends in `.`"),
        ("/prod/admin..", "ends in `.`"),
        ("/prod/admin%2e", "ends in `.`"),
        ("/prod/admin./keys", "ends in `.`"),
        ("/prod/...", "ends in `.`"),
        ("/prod/admin%20", "space"),
        ("/prod/admin.%20", "space"),
        ("/prod/%20admin", "space"),
    ],
)
def test_rejected(raw: str, reason: str) -> None:
    result = parse_target(raw)
    assert isinstance(result, Rejected), result
    assert reason in result.reason


def test_full_path() -> None:
    assert Target("prod", "/pets", "").full_path == "/prod/pets"
    assert Target("prod", "/", "").full_path == "/prod/"


@pytest.mark.parametrize("method", sorted(ROUTABLE_METHODS))
def test_routable_methods(method: str) -> None:
    assert check_method(method) is None


@pytest.mark.parametrize("method", ["get", "Get", "TRACE", "CONNECT", "PROPFIND", "FOO", ""])
def test_other_methods_refused(method: str) -> None:
    rejected = check_method(method)
    assert rejected is not None and "not routable" in rejected.reason


def test_normalise_path_only_decodes_unreserved() -> None:
    assert normalise_path("/%41%2d%2E%5f%7e%21") == "/A-._~%21"


_RAW = st.text(alphabet="ab./%2eEfF5cC0~;3B", max_size=24).map(lambda s: "/prod/" + s)


@given(_RAW)
def test_accepted_paths_are_unambiguous(raw: str) -> None:
    """Whatever is accepted has no dot or empty segment and no encoded separator, even decoded."""
    result = parse_target(raw)
    if isinstance(result, Rejected):
        return
    segments = result.path[1:].split("/")
    assert result.path == "/" or all(s not in ("", ".", "..") for s in segments)
    assert "%2F" not in result.path.upper() and "%5C" not in result.path.upper()
    assert "%2E" not in result.path.upper()  # an encoded dot is always decoded, then judged
    assert ";" not in result.path and "%3B" not in result.path.upper()  # no path parameters
    assert not any(s.endswith((".", "%20")) or s.startswith("%20") for s in segments)  # nothing to trim


@given(_RAW)
def test_normalisation_is_idempotent(raw: str) -> None:
    """The normalised path parses to itself: judging and forwarding it again changes nothing."""
    result = parse_target(raw)
    if isinstance(result, Target):
        again = parse_target(result.full_path)
        assert isinstance(again, Target)
        assert (again.stage, again.path, again.query_string) == (result.stage, result.path, result.query_string)
