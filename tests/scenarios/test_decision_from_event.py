"""``test --url`` reads the gateway's decision back from its event, compact trace included."""

from __future__ import annotations

from gatewaysim.policy.explain import explain_table
from gatewaysim.scenarios.http import decision_from_dict

ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets"
EVENT = {
    "caller": "anonymous",
    "resourceArn": ARN,
    "policy": {
        "decision": "ImplicitDeny",
        "deciding": [],
        "statements": [
            {"index": 1, "sid": "Office", "effect": "Allow", "applies": False, "failed": "Condition",
             "reason": "IpAddress aws:SourceIp: request has `127.0.2.5`", "key": "aws:SourceIp", "seen": ["127.0.2.5"]},
        ],
        "unmatched": {"Resource": [0], "NotPrincipal": [2]},
        "problems": [],
    },
}  # fmt: skip


def test_unmatched_statements_get_their_line_back_in_order() -> None:
    decision = decision_from_dict(EVENT["policy"], EVENT)  # type: ignore[arg-type]
    assert [(t.statement.index, t.failed, t.reason) for t in decision.trace] == [
        (0, "Resource", f"Resource does not match `{ARN}`"),
        (1, "Condition", "IpAddress aws:SourceIp: request has `127.0.2.5`"),
        (2, "NotPrincipal", "NotPrincipal matches `anonymous`"),
    ]
    assert "Statement[0]" in explain_table(decision) and "Statement[2]" in explain_table(decision)
