"""The resource index narrows the loop but never changes a decision or a trace."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from gatewaysim.policy import Request, compile_policy
from gatewaysim.policy.evaluate import evaluate_compiled

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
PIECES = ["prod", "test", "GET", "POST", "a", "b", "*", "?", "/", "${aws:username}"]

pattern = st.lists(st.sampled_from(PIECES), max_size=6).map(lambda parts: f"{API}/" + "".join(parts))
resource_patterns = st.one_of(st.just("*"), pattern, st.sampled_from(["arn:aws:execute-api:*", f"{API}*"]))
statement = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Principal": st.just("*"),
        "Action": st.just("execute-api:Invoke"),
        "Resource": st.lists(resource_patterns, min_size=1, max_size=3),
    }
)
negated = statement.map(lambda s: {**{k: v for k, v in s.items() if k != "Resource"}, "NotResource": s["Resource"]})
resource = st.lists(st.sampled_from(["prod", "test", "GET", "POST", "a", "b", "/", "alice"]), max_size=6).map(
    lambda parts: f"{API}/" + "".join(parts)
)


@settings(max_examples=200, deadline=None)
@given(
    statements=st.lists(st.one_of(statement, negated), min_size=16, max_size=40),
    resources=st.lists(resource, min_size=1, max_size=5),
)
def test_index_gives_the_same_decisions_and_traces(statements: list[dict[str, object]], resources: list[str]) -> None:
    indexed = compile_policy({"Version": "2012-10-17", "Statement": statements})
    assert indexed.index is not None
    full = copy.copy(indexed)
    full.index = None
    for value in resources:
        request = Request.from_mapping({"principal": "arn:aws:iam::111122223333:user/alice", "resource": value})
        with_index, without = evaluate_compiled(indexed, request), evaluate_compiled(full, request)
        assert (with_index.outcome, with_index.deciding) == (without.outcome, without.deciding)
        assert with_index.trace == without.trace


def test_small_policies_are_not_indexed() -> None:
    assert compile_policy({"Version": "2012-10-17", "Statement": []}).index is None
