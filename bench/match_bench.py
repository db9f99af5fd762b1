"""Benchmark: wildcard matching on issue 17's worst cases (a benchmark, not a test).

    python bench/match_bench.py [--repeat 5] [--old]

Each row is one policy evaluation (``evaluate_compiled``: no decision remembered) of a request
built to make a backtracking matcher explode: the Deny patterns and the ``StringLike`` value
of the issue against the longest texts the gateway lets through (a 1,600-byte method ARN, 10,240
bytes of headers), plus patterns with ``?`` inside a piece (the regex and bit-parallel searches).
It prints the median time per evaluation; the goal is under 1 ms each. ``--old`` also times the
regex matcher gatewaysim used before (``tests/policy/regex_oracle.py``) in a child process, cut
off after 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gatewaysim.policy import Request, compile_policy
from gatewaysim.policy.evaluate import evaluate_compiled

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
ROOT = Path(__file__).resolve().parent.parent


def _policy(deny: dict[str, Any]) -> dict[str, Any]:
    allow = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
    return {"Version": "2012-10-17", "Statement": [allow, {"Principal": "*", "Action": "execute-api:Invoke", **deny}]}


def _deny(resource: str) -> dict[str, Any]:
    return {"Effect": "Deny", "Resource": resource}


def _like(value: str) -> dict[str, Any]:
    return {"Effect": "Deny", "Resource": "execute-api:/*", "Condition": {"StringLike": {"aws:UserAgent": value}}}


USER_AGENT = "a" * 8_192
CASES: list[tuple[str, dict[str, Any], str, dict[str, tuple[str, ...]]]] = [
    (
        "Deny /*/*/v1/*/users/*/keys/*/rotate, path /v1/users/keys x 109",
        _policy(_deny("execute-api:/*/*/v1/*/users/*/keys/*/rotate")),
        f"{API}/prod/GET" + "/v1/users/keys" * 109,
        {},
    ),
    (
        "Deny /*/*/a/*/b/*/c/*/admin, a 1,530-character path",
        _policy(_deny("execute-api:/*/*/a/*/b/*/c/*/admin")),
        f"{API}/prod/GET/" + "a/b/c/" * 255,
        {},
    ),
    (
        'StringLike aws:UserAgent "*a*a*b", an 8 KB User-Agent',
        _policy(_like("*a*a*b")),
        f"{API}/prod/GET/x",
        {"aws:useragent": (USER_AGENT,)},
    ),
    (
        'StringLike "*" + "a?" x 8 + "b*", a 10 KB User-Agent (regex piece)',
        _policy(_like("*" + "a?" * 8 + "b*")),
        f"{API}/prod/GET/x",
        {"aws:useragent": ("a" * 10_240,)},
    ),
    (
        'StringLike "*" + "a?" x 30 + "b*", a 10 KB User-Agent (bit-parallel piece)',
        _policy(_like("*" + "a?" * 30 + "b*")),
        f"{API}/prod/GET/x",
        {"aws:useragent": ("a" * 10_240,)},
    ),
    (
        'StringLike "*" + "a?" x 200 + "b*", a 10 KB User-Agent (bit-parallel piece)',
        _policy(_like("*" + "a?" * 200 + "b*")),
        f"{API}/prod/GET/x",
        {"aws:useragent": ("a" * 10_240,)},
    ),
    (
        'StringLike "*a*" x 100 pieces, a 10 KB User-Agent',
        _policy(_like("*a" * 100 + "*b")),
        f"{API}/prod/GET/x",
        {"aws:useragent": ("a" * 10_240,)},
    ),
]


def _time(policy: dict[str, Any], resource: str, context: dict[str, tuple[str, ...]], repeat: int) -> float:
    compiled = compile_policy(policy, api_arn=API)
    request = Request("anonymous", "execute-api:Invoke", resource, context)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        evaluate_compiled(compiled, request)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


_OLD = """
import re, sys, time
sys.path.insert(0, {root!r})
from tests.policy.regex_oracle import oracle_matches
pattern, text, arn = {pattern!r}, {text!r}, {arn!r}
started = time.perf_counter()
oracle_matches([(pattern, True)], text, arn=arn)
print((time.perf_counter() - started) * 1000)
"""


def _old(policy: dict[str, Any], resource: str, context: dict[str, tuple[str, ...]]) -> str:
    statement = policy["Statement"][1]
    condition = statement.get("Condition")
    if condition:
        pattern, text, arn = condition["StringLike"]["aws:UserAgent"], context["aws:useragent"][0], False
    else:
        pattern, text, arn = API + statement["Resource"].removeprefix("execute-api:"), resource, True
    code = _OLD.format(root=str(ROOT), pattern=pattern, text=text, arn=arn)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=10, check=True)
    except subprocess.TimeoutExpired:
        return "> 10000"
    return f"{float(done.stdout):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--old", action="store_true", help="also time the old regex matcher (child process)")
    args = parser.parse_args()
    print(f"{'case':<78} {'ms':>8}" + (f" {'old ms':>10}" if args.old else ""))
    for name, policy, resource, context in CASES:
        line = f"{name:<78} {_time(policy, resource, context, args.repeat):>8.3f}"
        if args.old:
            line += f" {_old(policy, resource, context):>10}"
        print(line)


if __name__ == "__main__":
    main()
