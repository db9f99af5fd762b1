"""Startup stays fast: the CLI loads no AWS SDK or JWT library until an authorizer needs one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "botocore",
    "jwt",
    "cryptography",
    "urllib3",
    "samtranslator",
    "boto3",
    "pydantic",
    "jsonschema",
    "redis",  # only with a shared store configured
    "uvloop",  # only once `serve` starts its loop
)


def _loaded(code: str) -> list[str]:
    probe = f"import sys; {code}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    return subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()


def test_the_cli_and_the_server_import_no_heavy_library() -> None:
    assert _loaded("import gatewaysim.cli, gatewaysim.gateway.service, gatewaysim.authorizers.registry") == []


def test_a_gateway_without_iam_or_cognito_authorizers_loads_none() -> None:
    code = (
        "from gatewaysim.config.load import load_settings; from gatewaysim.gateway.service import Gateway; "
        "Gateway(load_settings('config/compose.yaml'))"
    )
    assert _loaded(code) == []


def test_an_iam_authorizer_loads_botocore_when_built() -> None:
    code = (
        "from gatewaysim.authorizers.registry import build_authorizers; "
        "build_authorizers({'iam': {'type': 'AWS_IAM', 'credentials': "
        "{'AKIAEXAMPLE': {'secret': 's', 'principal': 'arn:aws:iam::111122223333:user/a'}}}})"
    )
    assert "botocore" in _loaded(code)


def test_only_a_sam_template_loads_the_sam_translator() -> None:
    load = "from gatewaysim.config.load import load_settings; load_settings(None, {{'template': {!r}}})"
    cloudformation = load.format("tests/data/cfn-two-apis.json")
    assert _loaded(cloudformation) == []
    sam = load.format("tests/data/sam-shorthand.yaml")
    assert "samtranslator" in _loaded(sam)


def _gatewaysim_modules(code: str) -> set[str]:
    probe = f"import sys; {code}; print(' '.join(m for m in sys.modules if m.startswith('gatewaysim.')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(out.stdout.split())


def test_the_command_line_imports_only_the_sub_command_that_runs() -> None:
    other_commands = {f"gatewaysim.cli.{name}" for name in ("check", "replay", "explain", "tail", "simulate", "test")}
    assert _gatewaysim_modules("import gatewaysim.cli") & (other_commands | {"gatewaysim.cli.serve"}) == set()
    help_serve = "from gatewaysim.cli import main; main(['serve', '--help'])"
    probe = f"import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()): {help_serve}"
    assert _gatewaysim_modules(probe) & other_commands == set()
