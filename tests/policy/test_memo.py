"""A compiled policy's remembered decisions are exactly the decisions it would compute again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gatewaysim.policy import Decision, Request, compile_policy
from gatewaysim.policy.compile import MEMO_KEY_CHARS, MEMO_SIZE
from gatewaysim.policy.evaluate import evaluate_compiled

SEED = Path(__file__).resolve().parents[2] / "config" / "examples" / "corporate-network.json"
API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
PIECES = ["prod", "GET", "POST", "a", "*", "/", "${aws:username}", "${aws:sourcevpc, 'none'}"]
CONDITIONS: list[dict[str, Any]] = [
    {"StringEquals": {"aws:username": "alice"}},
    {"StringLike": {"aws:SourceVpc": "vpc-${aws:username}*"}},
    {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}},
    {"NotIpAddress": {"aws:SourceIp": "10.1.0.0/16"}},
    {"Null": {"aws:PrincipalTag/team": "true"}},
    {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}},
    {"ForAllValues:StringLike": {"aws:TagKeys": "a*"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
    {"NumericLessThanIfExists": {"aws:EpochTime": "1800000000"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}},
]
PRINCIPALS = ["*", {"AWS": "arn:aws:iam::111122223333:root"}, {"AWS": "arn:aws:iam::111122223333:user/alice"}]

statement = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Principal": st.sampled_from(PRINCIPALS),
        "Action": st.just("execute-api:Invoke"),
        "Resource": st.one_of(
            st.just(f"{API}/*"),
            st.lists(st.sampled_from(PIECES), max_size=5).map(lambda parts: f"{API}/" + "".join(parts)),
        ),
    },
    optional={"Condition": st.sampled_from(CONDITIONS)},
)
ABSENT = None
context = st.fixed_dictionaries(  # every key, mostly present: absent is one value among others
    {
        "aws:username": st.sampled_from(["alice", "bob", ABSENT]),
        "aws:sourceip": st.sampled_from(["10.0.0.1", "10.1.2.3", "192.0.2.9", "not-an-ip", ABSENT]),
        "aws:sourcevpc": st.sampled_from(["vpc-alice1", "vpc-bob", ABSENT]),
        "aws:principaltag/team": st.sampled_from(["alice", "ops", ABSENT]),
        "aws:tagkeys": st.one_of(st.none(), st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3)),
        "aws:currenttime": st.sampled_from(["2025-06-01T00:00:00Z", "2026-06-01T00:00:00Z", ABSENT]),
        "aws:epochtime": st.sampled_from(["1700000000", "1900000000", ABSENT]),
        "aws:securetransport": st.sampled_from(["true", "false", ABSENT]),
        "aws:useragent": st.text(max_size=5),  # read by no statement: must not change the decision
    }
).map(lambda keys: {k: tuple(v) if isinstance(v, list) else (v,) for k, v in keys.items() if v is not None})
request = st.builds(
    lambda principal, path, ctx: Request.from_mapping({"principal": principal, "resource": path, "context": ctx}),
    st.sampled_from(["anonymous", "arn:aws:iam::111122223333:user/alice", "arn:aws:iam::444455556666:user/x"]),
    st.lists(st.sampled_from(["prod", "GET", "POST", "a", "alice", "/", "vpc-alice1"]), max_size=6).map(
        lambda parts: f"{API}/" + "".join(parts)
    ),
    context,
)


VARIANTS = [  # one key changed at a time: the requests most likely to be confused by a memo
    ("aws:username", ("bob",)),
    ("aws:sourcevpc", ("vpc-bob",)),
    ("aws:sourceip", ("192.0.2.9",)),
    ("aws:principaltag/team", ("alice",)),
    ("aws:tagkeys", ("c",)),
    ("aws:currenttime", ("2025-06-01T00:00:00Z",)),
    ("aws:epochtime", ("1900000000",)),
    ("aws:securetransport", ("false",)),
]


def _variants(req: Request) -> list[Request]:
    out = [req]
    for key, value in VARIANTS:
        changed = dict(req.context)
        changed[key] = value
        out.append(Request(req.principal, req.action, req.resource, changed))
        without = {k: v for k, v in req.context.items() if k != key}
        out.append(Request(req.principal, req.action, req.resource, without))
    return out


def _same(a: Decision, b: Decision) -> bool:
    return (a.outcome, a.deciding, a.problems, a.trace) == (b.outcome, b.deciding, b.problems, b.trace)


@settings(max_examples=200, deadline=None)
@given(statements=st.lists(statement, min_size=1, max_size=6), requests=st.lists(request, min_size=1, max_size=4))
def test_remembered_decisions_equal_fresh_ones(statements: list[dict[str, Any]], requests: list[Request]) -> None:
    document = {"Version": "2012-10-17", "Statement": statements}
    remembering, fresh = compile_policy(document), compile_policy(document)
    for req in [v for r in requests for v in _variants(r)] * 2:  # the second pass answers from the memo
        assert _same(remembering.evaluate(req), evaluate_compiled(fresh, req))


def test_keys_read_are_condition_keys_and_variables() -> None:
    policy = compile_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": f"{API}/prod/*/${{aws:username}}",
                    "Condition": {"StringLike": {"aws:SourceVpc": "vpc-${aws:PrincipalTag/team, 'x'}"}},
                }
            ],
        }
    )
    assert policy.context_keys == ("aws:principaltag/team", "aws:sourcevpc", "aws:username")


def test_without_variables_a_dollar_brace_is_text() -> None:
    policy = compile_policy(
        {
            "Version": "2008-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": f"{API}/${{aws:username}}"}],
        }
    )
    assert policy.context_keys == ()


def test_a_request_differing_only_in_an_unread_key_gets_the_same_decision_object() -> None:
    policy = compile_policy(SEED.read_text())
    first = Request.from_mapping({"resource": f"{API}/prod/GET/", "context": {"aws:SourceIp": "10.0.0.1"}})
    again = Request.from_mapping(
        {"resource": f"{API}/prod/GET/", "context": {"aws:SourceIp": "10.0.0.1", "aws:UserAgent": "curl"}}
    )
    assert policy.evaluate(first) is policy.evaluate(again)
    other_ip = Request.from_mapping({"resource": f"{API}/prod/GET/", "context": {"aws:SourceIp": "10.0.0.2"}})
    assert policy.evaluate(other_ip) is not policy.evaluate(first)


def test_the_memo_is_bounded() -> None:
    policy = compile_policy(SEED.read_text())
    for n in range(MEMO_SIZE + 10):
        policy.evaluate(Request.from_mapping({"resource": f"{API}/prod/GET/{n}"}))
    assert len(policy._memo) <= MEMO_SIZE


def test_long_requests_are_decided_but_not_remembered() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": f"{API}/*",
            "Condition": {"StringLike": {"aws:UserAgent": "*bot*"}},
        },
    }
    policy = compile_policy(document)
    for n in range(20):
        agent = f"{n}" + "x" * (MEMO_KEY_CHARS + 10) + "bot"
        request = Request.from_mapping({"resource": f"{API}/prod/GET/x", "context": {"aws:UserAgent": agent}})
        assert policy.evaluate(request).outcome.value == "ExplicitDeny"
    assert len(policy._memo) == 0
    policy.evaluate(Request.from_mapping({"resource": f"{API}/prod/GET/x", "context": {"aws:UserAgent": "curl"}}))
    assert len(policy._memo) == 1


BASES = [
    {"aws:username": ("alice",), "aws:sourcevpc": ("vpc-alice1",), "aws:principaltag/team": ("alice",)},
    {"aws:sourceip": ("10.0.0.1",), "aws:tagkeys": ("a", "b"), "aws:currenttime": ("2026-06-01T00:00:00Z",)},
    {"aws:epochtime": ("1700000000",), "aws:securetransport": ("true",), "aws:username": ("bob",)},
]


def test_every_condition_and_variable_alone() -> None:
    """Each condition (and each variable in a Resource) alone, against requests one key apart."""
    cases = [(f"{API}/*", condition) for condition in CONDITIONS]
    cases += [(f"{API}/prod/GET/${{aws:username}}", None), (f"{API}/prod/GET/${{aws:sourcevpc, 'none'}}", None)]
    for resource, condition in cases:
        statement: dict[str, Any] = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke"}
        statement["Resource"] = resource
        if condition is not None:
            statement["Condition"] = condition
        document = {"Version": "2012-10-17", "Statement": [statement]}
        remembering, fresh = compile_policy(document), compile_policy(document)
        for path in ("prod/GET/alice", "prod/GET/vpc-alice1", "prod/GET/none"):
            for base in BASES:
                req = Request("anonymous", "execute-api:Invoke", f"{API}/{path}", base)
                for variant in _variants(req) * 2:
                    assert _same(remembering.evaluate(variant), evaluate_compiled(fresh, variant)), (document, variant)


def test_a_hand_built_request_with_list_values_is_still_evaluated() -> None:
    policy = compile_policy(SEED.read_text())
    listed = Request("anonymous", "execute-api:Invoke", f"{API}/prod/GET/", {"aws:sourceip": ["10.0.0.1"]})  # type: ignore[dict-item]
    assert _same(policy.evaluate(listed), evaluate_compiled(compile_policy(SEED.read_text()), listed))
