"""The ARN analysis agrees with the engine: a pattern the engine matches against a real method ARN is
never reported as "cannot match", and ``could_start`` never says no when a completion exists."""

from __future__ import annotations

from hypothesis import event, given, settings
from hypothesis import strategies as st

from gatewaysim.lint import arns
from gatewaysim.lint.arns import Target, could_match, could_start, diagnose, pattern_chunks
from gatewaysim.policy import Request, compile_policy

TARGET = Target("aws", "us-east-1", "123456789012", "abcdef1234", ("prod", "dev"), ("prod", "dev"))
API = TARGET.arn

concrete = st.tuples(
    st.sampled_from(TARGET.stages), st.sampled_from(arns.VERBS), st.sampled_from(["", "pets", "pets/1", "a/b/c"])
)


def _variant(value: str, wrong: str) -> st.SearchStrategy[str]:
    """The right value (often), a wildcard form of it, or a wrong one."""
    return st.sampled_from([value, value, "*", value[:2] + "*", "?" + value[1:], wrong, wrong[:1] + "*"])


@st.composite
def pattern_and_call(draw: st.DrawFn) -> tuple[str, str]:
    """A call's method ARN and a pattern made from it by swapping segments for wildcards or wrong values."""
    stage, verb, path = draw(concrete)
    head = [
        draw(_variant("aws", "aws-cn")),
        draw(_variant("execute-api", "s3")),
        draw(_variant("us-east-1", "eu-west-1")),
        draw(_variant("123456789012", "111111111111")),
    ]
    tokens = [
        draw(_variant("abcdef1234", "zzzz999999")),
        draw(_variant(stage, "staging")),
        draw(_variant(verb, verb.lower())),
        *[draw(_variant(part, "x")) for part in path.split("/")],
    ]
    cut = draw(st.integers(min_value=1, max_value=len(tokens)))
    tail = draw(st.sampled_from(["", "/*", "*"])) if cut < len(tokens) else ""
    pattern = "arn:" + ":".join(head) + ":" + "/".join(tokens[:cut]) + tail
    return pattern, f"{API}/{stage}/{verb}/{path}"


def engine_matches(pattern: str, arn: str) -> bool:
    policy = compile_policy({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": pattern}]})
    request = Request(principal="anonymous", action="execute-api:Invoke", resource=arn, context={})
    return policy.evaluate(request).allowed


@settings(max_examples=500, deadline=None)
@given(pattern_and_call())
def test_a_pattern_the_engine_matches_is_never_diagnosed(case: tuple[str, str]) -> None:
    pattern, arn = case
    matched = engine_matches(pattern, arn)
    event(f"engine matches: {matched}")
    assert could_match(pattern_chunks(pattern, True), arn) is matched
    if matched:
        assert diagnose(pattern, TARGET, variables=True) is None, (pattern, arn)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ab:/*?", max_size=8), st.text(alphabet="ab:/", max_size=8), st.text(alphabet="ab:/", max_size=4)
)
def test_could_start_is_sound(pattern_tail: str, prefix_tail: str, suffix: str) -> None:
    pattern = "arn:" + pattern_tail
    prefix = "arn:" + prefix_tail
    chunks = pattern_chunks(pattern, False)
    if could_match(chunks, prefix + suffix):
        assert could_start(chunks, prefix)


def test_could_start_examples() -> None:
    chunks = pattern_chunks(f"{API}/*/GET/pets/*", True)
    assert could_start(chunks, f"{API}/prod/GET/")
    assert could_start(chunks, f"{API}/prod/POST/x/GET/pets/")  # `*` crosses `/`
    assert could_start(chunks, f"{API}/prod/POST/")  # ... and so can `prod/POST/x/GET/pets/1`
    exact = pattern_chunks(f"{API}/prod/GET/pets/*", True)
    assert not could_start(exact, f"{API}/prod/POST/")
    assert not could_start(exact, f"{API}/dev/")
    region_star = pattern_chunks("arn:aws:execute-api:*:123456789012:abcdef1234/*", True)
    assert could_start(region_star, f"{API}/prod/GET/")
    assert not could_start(region_star, "arn:aws:execute-api:us-east-1:999:abcdef1234/")  # `*` stays in its segment


def test_policy_variables_count_as_wildcards() -> None:
    pattern = f"{API}/prod/GET/home/${{aws:username}}"
    assert diagnose(pattern, TARGET, variables=True) is None
    assert diagnose(f"{API}/${{aws:username}}/GET/", TARGET, variables=True) is None
    escaped = f"{API}/${{*}}/GET/x"  # a literal `*` stage: not a configured stage
    problem = diagnose(escaped, TARGET, variables=True)
    assert problem is not None and problem.kind == "stage"


def test_unknown_stages_use_the_patterns_own_stages() -> None:
    assert arns.sample_stages((), [f"{API}/beta/GET/*", f"{API}/*/GET/*", "*"]) == ("beta", "stage")
    assert arns.sample_stages(("prod",), [f"{API}/beta/GET/*"]) == ("prod",)
    target = Target("aws", "us-east-1", "123456789012", "abcdef1234", (), ("beta", "stage"))
    assert diagnose(f"{API}/beta/GET/*", target, variables=True) is None
    problem = diagnose(f"{API}/beta/pets", target, variables=True)
    assert problem is not None and problem.kind == "shape"
