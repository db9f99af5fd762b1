"""The IAM policy language for resource policies: parse, compile, evaluate. Pure and synchronous."""

from __future__ import annotations

from gatewaysim.errors import PolicyError
from gatewaysim.policy.compile import CompiledPolicy, compile_policy
from gatewaysim.policy.decision import Decision, Outcome, Request, StatementRef, StatementTrace
from gatewaysim.policy.document import Policy, Statement, parse_policy
from gatewaysim.policy.evaluate import evaluate

__all__ = [
    "CompiledPolicy",
    "Decision",
    "Outcome",
    "Policy",
    "PolicyError",
    "Request",
    "Statement",
    "StatementRef",
    "StatementTrace",
    "compile_policy",
    "evaluate",
    "parse_policy",
]
