"""Benchmark: policy evaluation time per request (a benchmark, not a test).

    python bench/policy_bench.py [--repeat 7] [--number 20000]

Reports the median time per evaluation for the seed's policies, for a generated 1,000-statement
policy (distinct resource paths, IP conditions, a few denies), and for the resource index's worst
case (1,000 statements that all match the resource, each with an IP condition), with the ratios to
the seed policy. These rows time ``evaluate_compiled``: a request the policy has not seen. The last
row times ``CompiledPolicy.evaluate`` answering a request it has seen (its memo of decisions).
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from pathlib import Path
from typing import Any

from gatewaysim.policy import CompiledPolicy, Request, compile_policy
from gatewaysim.policy.evaluate import evaluate_compiled

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
ROOT = Path(__file__).resolve().parent.parent

SEED_CORPORATE: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": f"{API}/*/*/*",
            "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"]}},
        }
    ],
}
SEED_READ_WRITE: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": [f"{API}/prod/GET/*", f"{API}/prod/HEAD/*"],
        },
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": [f"{API}/prod/POST/*", f"{API}/prod/PUT/*", f"{API}/prod/DELETE/*"],
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        },
    ],
}


def generated(statements: int) -> dict[str, Any]:
    """A large, varied policy: per-path allows with IP ranges, principals and a few denies."""
    out = []
    for i in range(statements):
        statement: dict[str, Any] = {
            "Sid": f"S{i}",
            "Effect": "Deny" if i % 50 == 49 else "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{100000000000 + i}:root"} if i % 3 == 0 else "*",
            "Action": "execute-api:Invoke",
            "Resource": [f"{API}/prod/GET/service{i}/*", f"{API}/prod/POST/service{i}"],
        }
        if i % 2 == 0:
            statement["Condition"] = {"IpAddress": {"aws:SourceIp": [f"10.{i % 256}.0.0/16", f"2001:db8:{i:x}::/48"]}}
        out.append(statement)
    return {"Version": "2012-10-17", "Statement": out}


def per_call_us(policy: CompiledPolicy, request: Request, repeat: int, number: int, *, memo: bool = False) -> float:
    """Median microseconds per evaluation over ``repeat`` runs of ``number`` calls (memo: remembered)."""
    call = (lambda: policy.evaluate(request)) if memo else (lambda: evaluate_compiled(policy, request))
    runs = timeit.repeat(call, repeat=repeat, number=number)
    return statistics.median(runs) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=20000)
    args = parser.parse_args()
    request = Request.from_mapping(
        {
            "principal": "anonymous",
            "resource": f"{API}/prod/GET/hr-systems/employees",
            "context": {"aws:SourceIp": "203.0.113.10", "aws:CurrentTime": "2026-11-29T12:00:00Z"},
        }
    )
    rows = []
    for name, doc in (
        ("seed corporate-network", SEED_CORPORATE),
        ("seed read-public/write-corporate", SEED_READ_WRITE),
    ):
        rows.append((name, per_call_us(compile_policy(doc), request, args.repeat, args.number)))
    big = compile_policy(generated(1000))
    big_request = Request.from_mapping(
        {
            "principal": "anonymous",
            "resource": f"{API}/prod/GET/service998/items",
            "context": {"aws:SourceIp": "10.230.1.1"},
        }
    )
    assert big.evaluate(big_request).allowed, "the generated request must be allowed by statement 998"
    rows.append(("generated 1,000 statements", per_call_us(big, big_request, args.repeat, max(args.number // 100, 50))))
    # the worst case for the resource index: every statement is a candidate (Resource "*")
    flat = generated(1000)
    for statement in flat["Statement"]:
        statement["Resource"] = "*"
        statement["Principal"] = "*"
        statement["Condition"] = {"IpAddress": {"aws:SourceIp": "10.255.0.0/16"}}
    rows.append(("1,000 statements, all candidates", per_call_us(compile_policy(flat), big_request, args.repeat, 50)))
    seed = compile_policy(SEED_CORPORATE)
    rows.append(("seed corporate-network, remembered", per_call_us(seed, request, args.repeat, args.number, memo=True)))
    for name, micros in rows:
        print(f"{name:36s} {micros:10.2f} us/request (median)")
    print(f"{'1,000 statements / seed':36s} {rows[2][1] / rows[0][1]:10.1f} x")
    print(f"{'all-candidates worst case / seed':36s} {rows[3][1] / rows[0][1]:10.1f} x")


if __name__ == "__main__":
    main()
