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


LOADED_ON_FIRST_USE = (
    "gatewaysim.gateway.control.operations",  # the AWS control plane: on the first call it claims
    "gatewaysim.gateway.control.model",  # botocore's service model
    "gatewaysim.observe.dashboard.handler",  # the dashboard: on the first page asked for
    "gatewaysim.gateway.dashboard_source",
    "gatewaysim.integrations.lambda_proxy.host",  # Lambda: only for a config with functions
    "gatewaysim.gateway.integrate_lambda",
    "gatewaysim.lint.linter",  # the linter: `check` and the dashboard's API page
    "gatewaysim.gateway.shadow",  # a shadow policy's comparison: with the first shadow policy
    "gatewaysim.gateway.authorize.difference",
    "gatewaysim.config.template",  # the template readers: an API served from a file
    "gatewaysim.imports",
    "gatewaysim.gateway.tls",  # a TLS listener
)


def test_the_embedded_default_gateway_loads_nothing_it_does_not_use() -> None:
    code = (
        "import gatewaysim.cli.serve; from gatewaysim.config.load import load_settings; "
        "from gatewaysim.gateway.service import Gateway; Gateway(load_settings(None)).service()"
    )
    loaded = _gatewaysim_modules(code)
    assert "gatewaysim.gateway.service" in loaded  # the probe ran
    assert sorted(loaded & set(LOADED_ON_FIRST_USE)) == []


def test_a_template_api_loads_the_readers_and_a_function_loads_lambda() -> None:
    code = (
        "from gatewaysim.config.load import load_settings; from gatewaysim.gateway.service import Gateway; "
        "Gateway(load_settings(None, {'template': 'tests/data/lambda/template.yaml'}))"
    )
    loaded = _gatewaysim_modules(code)
    assert {"gatewaysim.config.template", "gatewaysim.gateway.integrate_lambda"} <= loaded
