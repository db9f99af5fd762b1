"""Config: YAML + flags -> frozen Settings; every problem collected and located."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from pathlib import Path

import pytest

from gatewaysim.config.fields import RESERVED_STAGES
from gatewaysim.config.load import (
    DEFAULT_POLICY_SOURCE,
    ApiSettings,
    Settings,
    build_settings,
    default_policy_text,
    load_settings,
)
from gatewaysim.errors import ConfigError, PolicyError
from gatewaysim.gateway.dispatch import PREFIX_ROOT
from gatewaysim.gateway.service import HEALTH_PATH
from tests.hostile import yaml_bomb

OPEN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}],
}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _problems(exc: ConfigError) -> list[str]:
    return [p.render() for p in exc.problems]


def test_no_config_is_the_embedded_default() -> None:
    settings = load_settings()
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    (api,) = settings.apis
    assert (api.api_id, api.account, api.region, api.stages) == ("abcdef1234", "123456789012", "us-east-1", ("prod",))
    assert api.backend is None  # the demo backend
    assert api.policy is not None and api.policy_source == DEFAULT_POLICY_SOURCE
    assert api.arn == "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
    assert settings.identity.trusted_proxies == ()
    assert settings.log.format == "json" and settings.log.file is None


def test_embedded_default_is_the_seed_corporate_policy() -> None:
    doc = json.loads(default_policy_text())
    (statement,) = doc["Statement"]
    assert statement["Effect"] == "Allow" and statement["Principal"] == "*"
    assert statement["Resource"] == "execute-api:/*"  # the API of the settings, whatever its id
    assert statement["Condition"] == {
        "IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"]}
    }
    shipped = Path(__file__).resolve().parents[2] / "config" / "default-policy.json"
    assert json.loads(shipped.read_text()) == doc


def test_shipped_example_config_loads() -> None:
    settings = load_settings(Path(__file__).resolve().parents[2] / "config" / "gateway.yaml")
    (api,) = settings.apis
    assert api.policy is not None and api.policy_source is not None
    assert api.policy_source.endswith("default-policy.json")
    assert api.backend is None
    assert settings.identity.trusted_proxies == (ipaddress.ip_network("127.0.0.1/32"),)


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().port = 1  # type: ignore[misc]


def test_flags_win_over_the_file(tmp_path: Path) -> None:
    _write(tmp_path, "p.json", json.dumps(OPEN_POLICY))
    config = _write(
        tmp_path,
        "g.yaml",
        "port: 9000\nhost: 0.0.0.0\napi: {id: fromfile, stages: [dev], policy: p.json, backend: 'http://127.0.0.1:1'}\n",
    )
    settings = load_settings(config, {"port": 9100, "api_id": "fromflag", "stages": ["a", "b"], "host": None})
    (api,) = settings.apis
    assert settings.port == 9100 and settings.host == "0.0.0.0"  # None means "flag not given"
    assert api.api_id == "fromflag" and api.stages == ("a", "b")
    assert api.policy_source == str(tmp_path / "p.json")  # relative to the config file
    assert settings.source == str(config)


def test_flag_policy_path_is_relative_to_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "mine.json", json.dumps(OPEN_POLICY))
    monkeypatch.chdir(tmp_path)
    settings = build_settings({}, overrides={"policy": "mine.json"})
    assert settings.apis[0].policy_source == "mine.json"
    assert settings.apis[0].backend is None  # a policy but no backend: the demo backend


def test_backend_without_policy_is_open() -> None:
    (api,) = build_settings({}, overrides={"backend": "http://127.0.0.1:9"}).apis
    assert api.policy is None and api.backend == "http://127.0.0.1:9"


def test_explicit_null_policy_is_none() -> None:
    (api,) = build_settings({"api": {"policy": None}}).apis
    assert api.policy is None and api.backend is None


def test_backend_demo_keyword() -> None:
    (api,) = build_settings({"api": {"backend": "demo", "policy": OPEN_POLICY}}).apis
    assert api.backend is None and api.policy_source == "inline policy"


def test_account_may_be_a_yaml_number(tmp_path: Path) -> None:
    config = _write(tmp_path, "g.yaml", "api: {account: 111111111111, backend: demo}\n")
    assert load_settings(config).apis[0].account == "111111111111"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    config = _write(
        tmp_path,
        "g.yaml",
        """
port: 70000
colour: blue
log: {format: xml}
identity:
  trusted_proxies: [10.0.0.1/8, nonsense]
  headers: {X-Src: aws:SourceIp}
api:
  id: "a/b"
  account: "12"
  region: Mars
  stages: [prod, prod, _gatewaysim]
  backend: ftp://x
  strip_stage: "yes"
  forward: {timeout_s: 0, pool_limit: 1.5, retries: 3}
""",
    )
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    problems = _problems(info.value)
    expected = [
        "port: must be a port number",
        "colour: unknown key `colour`",
        "log.format: must be one of `json`, `text`, got `xml`",
        "identity.trusted_proxies[0]: `10.0.0.1/8` is not a CIDR",
        "identity.trusted_proxies[1]: `nonsense` is not a CIDR",
        "identity.headers.X-Src: `aws:SourceIp` is computed by the gateway",
        "api.id: must be an api id",
        "api.account: must be a 12-digit account id",
        "api.region: must be a region",
        "api.stages[1]: stage `prod` is listed twice",
        "api.stages[2]: `_gatewaysim` is reserved",
        "api.backend: must be an http(s) url",
        "api.strip_stage: must be true or false",
        "api.forward.timeout_s: must be a number above 0",
        "api.forward.pool_limit: must be an integer above 0",
        "api.forward.retries: unknown key `retries`",
    ]
    for text in expected:
        assert any(text in p for p in problems), (text, problems)
    assert len(problems) == len(expected)
    rendered = str(info.value)
    assert rendered.splitlines()[0].startswith(f"config `{config}`: port: ")


def test_flag_problems_name_the_flag() -> None:
    with pytest.raises(ConfigError) as info:
        build_settings({}, overrides={"account": "12", "trusted_proxies": ["x"], "port": -1})
    problems = _problems(info.value)
    assert any(p.startswith("--account: must be a 12-digit account id") for p in problems), problems
    assert any(p.startswith("--trusted-proxy: `x` is not a CIDR") for p in problems), problems
    assert any(p.startswith("--port: ") for p in problems), problems


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    config = _write(tmp_path, "g.yaml", "api:\n  id: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert str(info.value).startswith(f"config `{config}`: not valid YAML: line ")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (yaml_bomb(9, 9), "YAML aliases expand the document to over 1000000 values: line 7"),
        (b"api:\n  id: caf\xe9\n", "not UTF-8 text: byte `0xe9` at line 2, column 10"),
        (b"api: " + b"[" * 3000, "nested deeper than 100 levels: line 1"),
        (b"port: " + b"9" * 5000, "not valid YAML: a number has more than 4300 digits"),
    ],
)
def test_a_hostile_config_is_one_located_error(tmp_path: Path, text: bytes, problem: str) -> None:
    config = tmp_path / "g.yaml"
    config.write_bytes(text)
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert str(info.value) == f"config `{config}`: {problem}"


def test_a_hostile_policy_file_is_a_located_policy_error(tmp_path: Path) -> None:
    _write(tmp_path, "p.json", "[" * 5000)
    with pytest.raises(PolicyError) as info:
        build_settings({"api": {"policy": "p.json"}}, base_dir=tmp_path)
    assert str(info.value) == f"policy `{tmp_path / 'p.json'}`: nested deeper than 100 levels"


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_settings(tmp_path / "nope.yaml")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="the config must be a mapping"):
        load_settings(_write(tmp_path, "g.yaml", "- a\n- b\n"))


def test_bad_policy_file_is_a_policy_error_located_in_that_file(tmp_path: Path) -> None:
    policy = _write(tmp_path, "bad.json", '{"Version": "2012-10-17", "Statement": [{"Effect": "Alow"}]}')
    with pytest.raises(PolicyError) as info:
        build_settings({}, overrides={"policy": str(policy)})
    assert info.value.source == str(policy)
    assert str(info.value).startswith(f"policy `{policy}`: Statement[0].Effect: ")


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        build_settings({"api": {"policy": "gone.json"}}, base_dir=tmp_path)
    assert _problems(info.value) == [
        f"api.policy: cannot read policy `{tmp_path / 'gone.json'}`: No such file or directory"
    ]


def test_policy_and_config_problems_are_reported_together(tmp_path: Path) -> None:
    _write(tmp_path, "bad.json", "{not json")
    with pytest.raises(ConfigError) as info:
        build_settings({"port": "x", "api": {"policy": "bad.json"}}, base_dir=tmp_path)
    problems = _problems(info.value)
    assert problems[0].startswith("port: ")
    assert problems[1].startswith(f"api.policy: policy `{tmp_path / 'bad.json'}`: not valid JSON or YAML")


def test_several_apis() -> None:
    settings = build_settings(
        {
            "apis": [
                {"id": "one", "backend": "http://127.0.0.1:1"},
                {"id": "two", "account": "111111111111", "policy": OPEN_POLICY, "backend": "demo"},
            ]
        }
    )
    assert [a.api_id for a in settings.apis] == ["one", "two"]
    assert settings.apis[1].policy is not None and settings.apis[1].account == "111111111111"


def test_several_apis_problems() -> None:
    with pytest.raises(ConfigError) as info:
        build_settings(
            {"api": {}, "apis": [{"id": "x", "backend": "demo"}, {"id": "x", "backend": "demo"}]},
            overrides={"region": "eu-west-1"},
        )
    problems = _problems(info.value)
    assert "--region: only applies to a single API; the config declares `apis`" in problems
    assert "apis: give either `api` (one API) or `apis` (a list), not both" in problems
    assert "apis[1].id: api id `x` is declared twice" in problems


def test_api_flags_apply_to_a_one_entry_list() -> None:
    settings = build_settings({"apis": [{"id": "x", "backend": "demo"}]}, overrides={"region": "eu-west-1"})
    assert settings.apis[0].region == "eu-west-1"


def test_identity_header_rules() -> None:
    with pytest.raises(ConfigError) as info:
        build_settings(
            {
                "identity": {
                    "principal_header": "X-Who",
                    "headers": {"Host": "aws:SourceVpc", "x-who": "aws:SourceVpce", "X-A": "nokey", "x-a": "a:b"},
                }
            }
        )
    problems = _problems(info.value)
    assert "identity.headers.Host: `Host` cannot carry identity: the gateway sets or drops it" in problems
    assert "identity.headers.X-A: must be a condition key like `aws:SourceVpce`, got `nokey`" in problems
    assert "identity.headers.x-a: header `x-a` is mapped twice" in problems


def test_principal_header_cannot_double_as_a_context_header() -> None:
    with pytest.raises(ConfigError, match="is already the principal header"):
        build_settings({"identity": {"principal_header": "X-Who", "headers": {"x-who": "aws:SourceVpce"}}})


def test_unknown_override_name() -> None:
    with pytest.raises(ConfigError, match="unknown setting `colour`"):
        build_settings({}, overrides={"colour": "blue"})


def test_overrides_may_name_config_sections() -> None:
    settings = build_settings(
        {}, overrides={"forward": {"timeout_s": 0.5}, "strip_stage": False, "identity": {"secure_transport": True}}
    )
    assert settings.apis[0].forward.timeout_s == 0.5
    assert settings.apis[0].strip_stage is False
    assert settings.identity.secure_transport is True


def test_api_settings_defaults_are_the_seed_api() -> None:
    assert ApiSettings().arn == "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"


def test_stage_names_a_path_cannot_reach_are_refused() -> None:
    """`/restapis/...` is always the LocalStack prefix and `/_gatewaysim/...` the gateway's own routes."""
    with pytest.raises(ConfigError) as info:
        build_settings({"api": {"stages": ["prod", "restapis", "_gatewaysim"]}})
    assert _problems(info.value) == [
        "api.stages[1]: `restapis` is reserved for the `/restapis/{api-id}/{stage}/_user_request_/` path prefix",
        "api.stages[2]: `_gatewaysim` is reserved for the gateway's own routes",
    ]
    assert {PREFIX_ROOT, HEALTH_PATH.split("/")[1]} <= set(RESERVED_STAGES)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"identity": {"trusted_proxy": ["10.0.0.0/8"]}},
            "identity.trusted_proxy: unknown key `trusted_proxy` (did you mean `trusted_proxies`?)",
        ),
        ({"prot": 8080}, "prot: unknown key `prot` (did you mean `port`?)"),
        ({"api": {"stage": ["prod"]}}, "api.stage: unknown key `stage` (did you mean `stages`?)"),
        (
            {"log": {"decision_file": "d.jsonl"}},
            "log.decision_file: unknown key `decision_file` (did you mean `decisions_file`?)",
        ),
    ],
)
def test_unknown_key_suggests_the_closest(raw: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_settings(raw)
    problems = _problems(info.value)
    assert any(p.startswith(expected) for p in problems), problems


def test_unknown_override_name_suggests_the_closest() -> None:
    """A fixture keyword (``gatewaysim_gateway(trusted_proxy=...)``) is an override: the same hint."""
    with pytest.raises(ConfigError, match=r"unknown setting `trusted_proxy` \(did you mean `trusted_proxies`\?\)"):
        build_settings({}, overrides={"trusted_proxy": ["127.0.0.1/32"]})


def test_a_resource_policy_without_principal_is_refused() -> None:
    """Issue 17: a statement without Principal applied to everybody; API Gateway refuses such a policy."""
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    with pytest.raises(PolicyError) as info:
        build_settings({"api": {"policy": document}})
    assert str(info.value) == "policy `inline policy`: Statement[0]: needs `Principal` or `NotPrincipal`"
