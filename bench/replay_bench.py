"""Benchmark: replaying recorded decisions against a candidate policy (a benchmark, not a test).

    python bench/replay_bench.py [--decisions 100000] [--statements 100] [--sample 500] [--keep FILE]

1. Records ``--sample`` real requests through a gateway (in this process, real HTTP on loopback)
   serving a generated ``--statements``-statement policy A (``policy_bench.generated``: per-path
   allows with IP conditions and principals, a few denies), with a decisions file.
2. Grows the sample to ``--decisions`` events: copies of the recorded ones with a new request id
   and another last octet of the source address (``sourceIp`` and ``aws:sourceip``), so the
   policy's memo sees mostly new requests.
3. Times ``gatewaysim replay --policy B --decisions-file FILE`` against policy B (A with every
   tenth IP range narrowed and one Allow turned into a Deny, still ``--statements`` statements):
   in this process by phase (read and check the events, decide again and group, render; one
   process), and as the real command in a fresh process (startup included) on one CPU and on all
   of them (``replay.parallel`` splits a large file over forked workers).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from gatewaysim.replay import from_file, load_candidate, replay
from gatewaysim.replay.report import Against, render_text
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

sys.path.insert(0, str(Path(__file__).resolve().parent))
from policy_bench import API, generated

ROOT = Path(__file__).resolve().parent.parent


def candidate(policy: dict[str, Any]) -> dict[str, Any]:
    """Policy B: every tenth IP range narrowed from /16 to /17, statement 7 an explicit Deny."""
    out = copy.deepcopy(policy)
    for i, statement in enumerate(out["Statement"]):
        condition = statement.get("Condition", {}).get("IpAddress")
        if condition and i % 10 == 0:
            condition["aws:SourceIp"] = [r.replace(".0.0/16", ".0.0/17") for r in condition["aws:SourceIp"]]
    out["Statement"][7]["Effect"] = "Deny"
    return out


async def record(policy: dict[str, Any], sample: int, file: Path, statements: int) -> None:
    """``sample`` real requests through a gateway serving ``policy``, recorded in ``file``."""
    rng = random.Random(19)
    async with RecordingBackend() as backend:
        config = {"api": {"backend": backend.url, "policy": policy}, "log": {"decisions_file": str(file)}}
        async with GatewayServer(config=config, trusted_proxies=["127.0.0.0/8"]) as gw:
            for n in range(sample):
                i = rng.randrange(statements)
                headers = {"X-Forwarded-For": f"10.{i % 256}.{rng.randrange(256)}.{rng.randrange(1, 255)}"}
                if i % 3 == 0:
                    headers["X-Gatewaysim-Principal"] = f"arn:aws:iam::{100000000000 + i}:user/u{n}"
                method = "GET" if n % 4 else "POST"
                path = f"/prod/service{i}/item{n}" if method == "GET" else f"/prod/service{i}"
                await request_from(gw.url + path, method=method, headers=headers)


def grow(sample_file: Path, out: Path, count: int) -> int:
    """``count`` events from the recorded ones, each with a new id and last address octet; the file size."""
    sample = [orjson.loads(line) for line in sample_file.read_bytes().splitlines()]
    with out.open("wb") as file:
        for n in range(count):
            event = copy.deepcopy(sample[n % len(sample)])
            head, _, _ = event["sourceIp"].rpartition(".")
            address = f"{head}.{1 + n % 254}"
            event["requestId"] = f"bench-{n:08d}"
            event["sourceIp"] = address
            event["request"]["context"]["aws:sourceip"] = [address]
            file.write(orjson.dumps(event) + b"\n")
    return out.stat().st_size


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def timed_phases(events_file: Path, policy_file: Path) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds per phase of one replay in this process."""
    marks = [_now()]
    events = from_file(events_file)
    marks.append(_now())
    policy = load_candidate(policy_file, events[0].api_arn)
    report = replay(events, policy)
    marks.append(_now())
    text = render_text(report, Against(f"policy `{policy_file}`", f"decisions file `{events_file}`"))
    marks.append(_now())
    print(text.splitlines()[1])
    names = ("read and check", "decide and group", "render")
    return {
        name: (after[0] - before[0], after[1] - before[1])
        for name, before, after in zip(names, marks[:-1], marks[1:], strict=True)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--statements", type=int, default=100)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="keep the decisions file here")
    args = parser.parse_args()
    policy_a = generated(args.statements)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sample_file, events_file = work / "sample.jsonl", args.keep or work / "decisions.jsonl"
        policy_file = work / "b.json"
        policy_file.write_text(json.dumps(candidate(policy_a)))
        asyncio.run(record(policy_a, args.sample, sample_file, args.statements))
        size = grow(sample_file, events_file, args.decisions)
        print(f"{args.decisions} decisions ({size / 1e6:.0f} MB, from {args.sample} recorded requests) "
              f"against a {args.statements}-statement policy ({API})")  # fmt: skip
        phases = timed_phases(events_file, policy_file)
        print(f"  {'phase':<18} {'wall s':>7} {'CPU s':>7}")
        for name, (wall, cpu) in phases.items():
            print(f"  {name:<18} {wall:7.2f} {cpu:7.2f}")
        wall, cpu = (sum(p[i] for p in phases.values()) for i in (0, 1))
        print(f"  {'in process':<18} {wall:7.2f} {cpu:7.2f}  ({args.decisions / cpu:,.0f} decisions per CPU second)")
        command = ["-m", "gatewaysim", "replay", "--policy", str(policy_file), "--decisions-file", str(events_file)]
        everyone = sorted(os.sched_getaffinity(0))
        for allowed in ([everyone[0]], everyone) if len(everyone) > 1 else ([everyone[0]],):
            wall, cpu, code = run_command(command, set(allowed))
            label = f"replay, {len(allowed)} CPU{'s' if len(allowed) > 1 else ''}"
            print(f"  {label:<18} {wall:7.2f} {cpu:7.2f}  (gatewaysim replay in a fresh process, exit {code})")


def run_command(command: list[str], cpus: set[int]) -> tuple[float, float, int]:
    """(wall, CPU of the process and its workers, exit code) of ``python command`` on ``cpus``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *command],
        capture_output=True,
        cwd=ROOT,
        check=False,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),  # this script runs no threads
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, used, done.returncode


if __name__ == "__main__":
    main()
