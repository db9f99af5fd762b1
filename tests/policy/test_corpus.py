"""Data-driven cases: each file in corpus/ holds policies, requests, expected decisions and deciding statements."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.policy import PolicyError, compile_policy

CORPUS = Path(__file__).parent / "corpus"
API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"


def cases() -> list[Any]:
    out = []
    for path in sorted(CORPUS.glob("*.json")):
        for case in json.loads(path.read_text())["cases"]:
            out.append(pytest.param(case, id=f"{path.stem}: {case['description']}"))
    return out


@pytest.mark.parametrize("case", cases())
def test_corpus_case(case: dict[str, Any]) -> None:
    if "expect_error" in case:
        with pytest.raises(PolicyError) as info:
            compile_policy(case["policy"], api_arn=API)
        assert [p.render() for p in info.value.problems] == [case["expect_error"]]
        return
    policy = compile_policy(case["policy"], api_arn=API)
    for item in case["requests"]:
        decision = policy.evaluate(item["request"])
        assert decision.outcome == item["decision"], item["description"]
        assert [ref.index for ref in decision.deciding] == item["deciding"], item["description"]
