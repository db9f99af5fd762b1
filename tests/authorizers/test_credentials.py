"""The credential store: config mappings, AWS CLI credentials files, located errors, caller keys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gatewaysim.authorizers import credentials
from gatewaysim.authorizers.credentials import CredentialStore, parse_principal
from gatewaysim.errors import ConfigError

USER = "arn:aws:iam::111122223333:user/engineering/alice"
SESSION = "arn:aws:sts::111122223333:assumed-role/Admin/alice-session"


def test_mapping_builds_credentials() -> None:
    store = CredentialStore.from_mapping(
        {
            "AKIAALICE": {"secret": "s1", "principal": USER, "tags": {"Team": "blue", "oncall": True}},
            "ASIASESSION": {
                "secret": "s2",
                "principal": SESSION,
                "session_token": "tok",
                "user_id": "AROAEXAMPLEID:alice-session",
                "token_issue_time": "2024-05-01T11:00:00Z",
                "expiration": "2024-05-01T23:00:00+00:00",
            },
        }
    )
    assert len(store) == 2 and "AKIAALICE" in store and "AKIAOTHER" not in store
    alice = store.get("AKIAALICE")
    assert alice is not None and alice.secret_key == "s1" and alice.tags == {"Team": "blue", "oncall": "true"}
    session = store.get("ASIASESSION")
    assert session is not None and session.session_token == "tok"
    assert session.expiration == datetime(2024, 5, 1, 23, tzinfo=UTC)
    assert store.get("nope") is None
    assert {c.access_key for c in store} == {"AKIAALICE", "ASIASESSION"}


def test_repr_never_shows_secrets() -> None:
    store = CredentialStore.from_mapping({"AKIAX": {"secret": "hunter2", "principal": USER, "session_token": "t0k"}})
    text = repr(store.get("AKIAX"))
    assert "hunter2" not in text and "t0k" not in text and "AKIAX" in text


def test_user_context_keys() -> None:
    store = CredentialStore.from_mapping({"AKIAX": {"secret": "s", "principal": USER, "tags": {"Team": "blue"}}})
    credential = store.get("AKIAX")
    assert credential is not None
    keys = credential.caller().context_keys()
    user_id = keys.pop("aws:userid")[0]
    assert user_id.startswith("AIDA") and len(user_id) == 21
    assert keys == {
        "aws:principalarn": (USER,),
        "aws:principalaccount": ("111122223333",),
        "aws:principaltype": ("User",),
        "aws:username": ("alice",),
        "aws:principaltag/team": ("blue",),
    }


def test_session_context_keys_use_the_role_arn_and_token_facts() -> None:
    store = CredentialStore.from_mapping(
        {"ASIAX": {"secret": "s", "principal": SESSION, "session_token": "t", "user_id": "AROAID:alice-session"}}
    )
    credential = store.get("ASIAX")
    assert credential is not None
    caller = credential.caller()
    assert caller.principal_arn == SESSION
    assert caller.context_keys() == {
        "aws:principalarn": ("arn:aws:iam::111122223333:role/Admin",),
        "aws:principalaccount": ("111122223333",),
        "aws:principaltype": ("AssumedRole",),
        "aws:userid": ("AROAID:alice-session",),
        "aws:multifactorauthpresent": ("false",),
    }


@pytest.mark.parametrize(
    ("arn", "kind", "policy_arn", "user_id"),
    [
        ("arn:aws:iam::111122223333:root", "Account", "arn:aws:iam::111122223333:root", "111122223333"),
        (
            "arn:aws:sts::111122223333:federated-user/bob",
            "FederatedUser",
            "arn:aws:sts::111122223333:federated-user/bob",
            "111122223333:bob",
        ),
        (
            "arn:aws-cn:sts::111122223333:assumed-role/R/s",
            "AssumedRole",
            "arn:aws-cn:iam::111122223333:role/R",
            None,
        ),
    ],
)
def test_other_principal_kinds(arn: str, kind: str, policy_arn: str, user_id: str | None) -> None:
    info = parse_principal(arn)
    assert info is not None and info.principal_type == kind and info.policy_arn == policy_arn
    store = CredentialStore.from_mapping({"AKIAX": {"secret": "s", "principal": arn}})
    credential = store.get("AKIAX")
    assert credential is not None
    keys = credential.caller().context_keys()
    assert keys["aws:principalarn"] == (policy_arn,)
    assert "aws:username" not in keys
    if user_id is not None:
        assert keys["aws:userid"] == (user_id,)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::111122223333:role/Admin",
        "arn:aws:iam::1111:user/x",
        "arn:aws:sts::111122223333:assumed-role/OnlyRole",
        "alice",
    ],
)
def test_principals_that_cannot_sign(arn: str) -> None:
    assert parse_principal(arn) is None


def test_mapping_errors_are_all_located() -> None:
    with pytest.raises(ConfigError) as info:
        CredentialStore.from_mapping(
            {
                "AKIAOK": {"secret": "s", "principal": USER},
                "bad key!": {"secret": "s", "principal": USER},
                "AKIANOSECRET": {"principal": "arn:aws:iam::111122223333:role/Admin"},
                "AKIAEXTRA": {
                    "secret": "",
                    "principal": USER,
                    "colour": "red",
                    "tags": ["x"],
                    "mfa": "yes",
                    "expiration": "tomorrow",
                },
                "AKIANOTAMAP": "secret",
            },
            source="creds.yaml",
        )
    error = info.value
    assert [(p.path, p.message) for p in error.problems] == [
        ("bad key!", "`bad key!` is not a valid access key id"),
        ("AKIANOSECRET.secret", "missing"),
        (
            "AKIANOSECRET.principal",
            "`arn:aws:iam::111122223333:role/Admin` is not a user, root, assumed-role or federated-user ARN",
        ),
        ("AKIAEXTRA.colour", "unknown field `colour`"),
        ("AKIAEXTRA.secret", "must be a non-empty string"),
        ("AKIAEXTRA.tags", "must be a mapping of tag key to value"),
        ("AKIAEXTRA.mfa", "must be true or false"),
        ("AKIAEXTRA.expiration", "`tomorrow` is not an ISO 8601 timestamp"),
        ("AKIANOTAMAP", "must be a mapping with `secret` and `principal`"),
    ]
    assert str(error).splitlines()[0] == "config `creds.yaml`: bad key!: `bad key!` is not a valid access key id"


def test_mapping_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match="credentials must be a mapping"):
        CredentialStore.from_mapping(["AKIA"])


CLI_FILE = """\
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = default-secret
principal_arn = arn:aws:iam::111122223333:user/alice
region = us-east-1

[ops]
aws_access_key_id = ASIAOPS
aws_secret_access_key = ops-secret
aws_session_token = ops-token
"""


def test_credentials_file(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text(CLI_FILE)
    store = CredentialStore.from_credentials_file(path, principals={"ops": SESSION})
    default, ops = store.get("AKIADEFAULT"), store.get("ASIAOPS")
    assert default is not None and default.secret_key == "default-secret" and default.session_token is None
    assert ops is not None and ops.session_token == "ops-token" and ops.principal.arn == SESSION


def test_credentials_policy_errors(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text(
        CLI_FILE
        + "\n[twin]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = x\nprincipal_arn = "
        + USER
        + "\n\n[broken]\naws_access_key_id = AKIABROKEN\n"
    )
    with pytest.raises(ConfigError) as info:
        CredentialStore.from_credentials_file(path)
    assert [(p.path, p.message) for p in info.value.problems] == [
        ("[ops].principal_arn", "missing (or give a principal for this profile)"),
        ("[twin]", "access key `AKIADEFAULT` is already used by another profile"),
        ("[broken].aws_secret_access_key", "missing"),
        ("[broken].principal_arn", "missing (or give a principal for this profile)"),
    ]
    assert info.value.source == str(path)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read file"):
        CredentialStore.from_credentials_file(tmp_path / "absent")
    with pytest.raises(ConfigError, match="not a valid credentials file"):
        CredentialStore.from_credentials_text("aws_access_key_id = AKIA\n", source="inline")


def test_public_surface() -> None:
    assert set(credentials.__all__) == {
        "Credential",
        "CredentialStore",
        "PrincipalInfo",
        "VerifiedCaller",
        "parse_principal",
    }
    assert all(hasattr(credentials, name) for name in credentials.__all__)
