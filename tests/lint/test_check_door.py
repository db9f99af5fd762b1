"""`gatewaysim check --config` reports the door settings' findings (GS6xx): what `serve` refuses, and traps.

Each case is a config and the one finding (code, path, message start) `check` must print; errors exit 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewaysim.cli.main import main

KEY = "partnerKey0123456789abcd"
BASE: dict[str, Any] = {"backend": "http://127.0.0.1:9", "policy": None}
ACAO = {"responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}}

CASES = [
    (
        {"usage_plans": [{"name": "gold", "apiStages": [{"stage": "staging"}]}]},
        "error GS601",
        "usage_plans[0].apiStages[0]: error GS601: invalid api stage {api: abcdef1234, stage: staging}",
    ),
    (
        {"usage_plans": [{"name": "gold", "apiStages": [{"stage": "prod"}], "apiKeys": ["ghost"]}]},
        "error GS602",
        "usage_plans[0].apiKeys[0]: error GS602: usage plan `gold` names api key `ghost`",
    ),
    (
        {"routes": [{"resource": "/p", "method": "POST", "requestModels": {"application/json": "Missing"}}]},
        "error GS604",
        "api.routes: error GS604: method `POST /p` maps `application/json` to unknown model `Missing`",
    ),
    (
        {"routes": [{"resource": "/p", "requestValidator": "ghost"}]},
        "error GS605",
        "api.routes: error GS605: method `ANY /p` names unknown request validator `ghost`",
    ),
    (
        {"cors": "'*'", "gateway_responses": {"DEFAULT_5XX": ACAO}},
        "warning GS606",
        "api.cors: warning GS606: `cors` is set but `DEFAULT_4XX` adds no Access-Control-Allow-Origin",
    ),
    (
        {"api_key_required": True},
        "warning GS607",
        "api: warning GS607: methods require an api key but no usage plan with keys covers stage `prod`",
    ),
]


@pytest.mark.parametrize(("extra", "code", "line"), CASES, ids=[c for _, c, _ in CASES])
def test_check_reports_door_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: dict[str, Any], code: str, line: str
) -> None:
    top = {k: extra.pop(k) for k in ("usage_plans",) if k in extra}
    config = tmp_path / "gw.yaml"
    config.write_text(yaml.safe_dump({"api": {**BASE, **extra}, "api_keys": [{"name": "k", "value": KEY}], **top}))
    status = main(["check", "--config", str(config)])
    out = capsys.readouterr().out
    assert f"{config}: {line}" in out, out
    assert status == (1 if code.startswith("error") else 0)


def test_serve_refuses_what_check_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gw.yaml"
    plans = [{"name": "gold", "apiStages": [{"stage": "staging"}]}]
    config.write_text(yaml.safe_dump({"api": BASE, "usage_plans": plans}))
    assert main(["serve", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "usage_plans[0].apiStages[0]: invalid api stage {api: abcdef1234, stage: staging}" in err


def test_list_codes_names_the_door_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--list-codes"]) == 0
    out = capsys.readouterr().out
    assert "GS601  error" in out and "GS606  warning" in out
