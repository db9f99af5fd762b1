"""``gatewaysim init``: write a starter config, a resource policy and its scenario file here.

The policy and scenarios are one of the seed article's examples shipped in the package
(``gatewaysim/data/examples``, the repository's ``config/examples``); the config
(``gatewaysim/data/starter/gateway.yaml``) serves that policy in front of the demo backend. An
existing file is never overwritten without ``--force`` (exit 2 names it).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final, TextIO

from gatewaysim.errors import ConfigError, GatewaysimError, Problem
from gatewaysim.safeload import load_yaml
from gatewaysim.suggest import did_you_mean

__all__ = ["DEFAULT_EXAMPLE", "add_arguments", "examples", "run"]

DEFAULT_EXAMPLE: Final = "corporate-network"
CONFIG_NAME: Final = "gateway.yaml"


def _data() -> Traversable:
    return resources.files("gatewaysim") / "data"


def examples() -> dict[str, str]:
    """Shipped examples with a JSON policy: name -> the scenario file's description."""
    found: dict[str, str] = {}
    for entry in sorted(_data().joinpath("examples").iterdir(), key=lambda e: e.name):
        name = entry.name.removesuffix(".scenarios.yaml")
        if entry.name.endswith(".scenarios.yaml") and _data().joinpath("examples", f"{name}.json").is_file():
            found[name] = _description(entry.read_text(encoding="utf-8"))
    return found


def _description(text: str) -> str:
    line = next((line for line in text.splitlines() if line.startswith("description:")), "description: ")
    return line.partition(":")[2].strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The init flags."""
    parser.add_argument("--example", default=DEFAULT_EXAMPLE, help=f"which shipped example (default {DEFAULT_EXAMPLE})")
    parser.add_argument("--list", action="store_true", help="list the shipped examples and exit")
    parser.add_argument("--dir", type=Path, default=Path("."), help="where to write (default: the current folder)")
    parser.add_argument("--force", action="store_true", help="overwrite files that exist")


def run(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    """Write the three files (0), list the examples (0); a clash or unknown example raises (exit 2)."""
    err = err if err is not None else sys.stderr
    known = examples()
    if args.list:
        out.write("".join(f"{name:<28} {text}\n" for name, text in known.items()))
        return 0
    if args.example not in known:
        hint = did_you_mean(args.example, known) or " (gatewaysim init --list names them)"
        raise ConfigError([Problem("--example", f"no example `{args.example}`{hint}")], "command line")
    files = _starter_files(args.example)
    target: Path = args.dir
    clashes = [name for name in files if (target / name).exists()]
    if clashes and not args.force:
        names = ", ".join(f"`{target / name}`" for name in clashes)
        raise _Exists(f"{names} already there: nothing written (give --force to overwrite)")
    target.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (target / name).write_text(text, encoding="utf-8")
        out.write(f"wrote {target / name}\n")
    out.write(_next_steps(args.example))
    return 0


class _Exists(GatewaysimError):
    """A file ``init`` would write is already there."""


def _starter_files(example: str) -> dict[str, str]:
    """File name -> text: the example's policy and scenarios, and a config serving that policy."""
    folder = _data().joinpath("examples")
    policy_name, scenarios_name = f"{example}.json", f"{example}.scenarios.yaml"
    scenarios_text = folder.joinpath(scenarios_name).read_text(encoding="utf-8")
    api, stages = _api_and_stages(scenarios_text)
    config = _data().joinpath("starter", CONFIG_NAME).read_text(encoding="utf-8")
    for key, value in {
        "{api_id}": str(api.get("id", "abcdef1234")),
        "{account}": str(api.get("account", "123456789012")),
        "{region}": str(api.get("region", "us-east-1")),
        "{stages}": ", ".join(stages),
        "{stage}": stages[0],
        "{policy}": policy_name,
        "{admin_token}": secrets.token_urlsafe(18),  # SECURITY: the file trusts a local proxy: no open admin API
    }.items():
        config = config.replace(key, value)
    return {
        CONFIG_NAME: config,
        policy_name: folder.joinpath(policy_name).read_text(encoding="utf-8"),
        scenarios_name: scenarios_text,
    }


def _api_and_stages(scenarios_text: str) -> tuple[Mapping[str, Any], list[str]]:
    """The scenario file's ``api`` mapping and the stages its request paths name."""
    raw = load_yaml(scenarios_text)
    default_path = (raw.get("defaults") or {}).get("path", "/prod/")
    paths = [(s.get("request") or {}).get("path", default_path) for s in raw.get("scenarios") or ()]
    stages = sorted({str(path).lstrip("/").partition("/")[0] for path in paths} - {""}) or ["prod"]
    return raw.get("api") or {}, stages


def _next_steps(example: str) -> str:
    return (
        "next:\n"
        f"  gatewaysim test {example}.scenarios.yaml        # the policy against the scenarios, no server\n"
        f"  gatewaysim check {example}.json                 # lint the policy\n"
        f"  gatewaysim serve --config {CONFIG_NAME}          # run the gateway in front of the demo backend\n"
        f"  (`gatewaysim policy` and `tail` need the admin token in {CONFIG_NAME}: GATEWAYSIM_ADMIN_TOKEN=...)\n"
    )
