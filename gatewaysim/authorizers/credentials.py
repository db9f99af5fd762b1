"""The AWS credentials gatewaysim knows, and the verified caller a SigV4 check yields.

A :class:`CredentialStore` maps access key ids to :class:`Credential` records. Build it from a
config mapping::

    AKIAIOSFODNN7EXAMPLE:
      secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
      principal: arn:aws:iam::111122223333:user/alice
      tags: {team: blue}                    # optional, aws:PrincipalTag/<key>
    ASIAEXAMPLESESSION01:
      secret: ...
      principal: arn:aws:sts::111122223333:assumed-role/Admin/alice
      session_token: FQoGZXIvYXdzE...       # required on every request signed with this key
      mfa: true                             # optional, aws:MultiFactorAuthPresent
      token_issue_time: 2024-05-01T11:00:00Z
      expiration: 2024-05-01T23:00:00Z      # optional; later requests get ExpiredTokenException

or from an AWS CLI credentials file (``[profile]`` sections with ``aws_access_key_id``,
``aws_secret_access_key``, optional ``aws_session_token`` and a ``principal_arn`` key, or a
``profile -> principal ARN`` mapping passed in). Every malformed entry is reported at once as a
located :class:`~gatewaysim.errors.ConfigError`.
"""

from __future__ import annotations

import configparser
import hashlib
import re
from base64 import b32encode
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gatewaysim.errors import ConfigError, DocumentError, Problem
from gatewaysim.safeload import read_text

__all__ = ["Credential", "CredentialStore", "PrincipalInfo", "VerifiedCaller", "parse_principal"]

_ACCESS_KEY_RE = re.compile(r"^[A-Za-z0-9_+.-]{4,128}$")
_PRINCIPAL_RE = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>.+)$"
)
_FIELDS = frozenset(
    {"secret", "principal", "session_token", "tags", "user_id", "mfa", "token_issue_time", "expiration"}
)


@dataclass(frozen=True, slots=True)
class PrincipalInfo:
    """What an IAM principal ARN says about its owner."""

    arn: str
    account: str
    principal_type: str  # User | AssumedRole | FederatedUser | Account
    policy_arn: str  # aws:PrincipalArn: the role ARN for a role session
    username: str | None = None
    session_name: str | None = None


def parse_principal(arn: str) -> PrincipalInfo | None:
    """Parse a user, root, assumed-role session or federated-user ARN; ``None`` for anything else."""
    m = _PRINCIPAL_RE.match(arn)
    if m is None:
        return None
    partition, service, account, resource = m.group("partition", "service", "account", "resource")
    kind, _, rest = resource.partition("/")
    if service == "iam" and resource == "root":
        return PrincipalInfo(arn, account, "Account", arn)
    if service == "iam" and kind == "user" and rest:
        return PrincipalInfo(arn, account, "User", arn, username=rest.rsplit("/", 1)[-1])
    if service == "sts" and kind == "assumed-role" and rest.count("/") == 1 and "" not in rest.split("/"):
        role, session = rest.split("/")
        role_arn = f"arn:{partition}:iam::{account}:role/{role}"
        return PrincipalInfo(arn, account, "AssumedRole", role_arn, session_name=session)
    if service == "sts" and kind == "federated-user" and rest and "/" not in rest:
        return PrincipalInfo(arn, account, "FederatedUser", arn, username=rest)
    return None


def _default_user_id(info: PrincipalInfo) -> str:
    """A stable, AWS-shaped unique id (``AIDA...``, ``AROA...:session``) derived from the ARN."""
    if info.principal_type == "Account":
        return info.account
    if info.principal_type == "FederatedUser":
        return f"{info.account}:{info.username}"
    digest = b32encode(hashlib.sha256(info.policy_arn.encode()).digest()).decode()[:17]
    if info.principal_type == "User":
        return f"AIDA{digest}"
    return f"AROA{digest}:{info.session_name}"


@dataclass(frozen=True, slots=True)
class Credential:
    """One access key and the principal it belongs to."""

    access_key: str
    secret_key: str
    principal: PrincipalInfo
    session_token: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    user_id: str | None = None
    mfa: bool = False
    token_issue_time: datetime | None = None
    expiration: datetime | None = None

    def __repr__(self) -> str:  # SECURITY: never print the secret or the session token
        return f"Credential({self.access_key!r}, principal={self.principal.arn!r})"

    def caller(self) -> VerifiedCaller:
        """The identity a request signed with this key carries."""
        info = self.principal
        return VerifiedCaller(
            access_key=self.access_key,
            principal_arn=info.arn,
            account=info.account,
            principal_type=info.principal_type,
            user_id=self.user_id or _default_user_id(info),
            tags=dict(self.tags),
            session_token_used=self.session_token is not None,
            policy_principal_arn=info.policy_arn,
            username=info.username if info.principal_type == "User" else None,
            mfa_present=self.mfa,
            token_issue_time=self.token_issue_time,
        )


@dataclass(frozen=True, slots=True)
class VerifiedCaller:
    """The caller of a request whose SigV4 signature checked out."""

    access_key: str
    principal_arn: str  # the caller ARN (the session ARN for a role session)
    account: str
    principal_type: str
    user_id: str
    tags: dict[str, str] = field(default_factory=dict)
    session_token_used: bool = False
    policy_principal_arn: str = ""  # aws:PrincipalArn (the role ARN for a role session)
    username: str | None = None
    mfa_present: bool = False
    token_issue_time: datetime | None = None

    def context_keys(self) -> dict[str, tuple[str, ...]]:
        """The IAM global condition keys this caller fills, lower-cased names, tuple values."""
        keys: dict[str, tuple[str, ...]] = {
            "aws:principalarn": (self.policy_principal_arn or self.principal_arn,),
            "aws:principalaccount": (self.account,),
            "aws:principaltype": (self.principal_type,),
            "aws:userid": (self.user_id,),
        }
        if self.username is not None:
            keys["aws:username"] = (self.username,)
        for name, value in self.tags.items():
            keys[f"aws:principaltag/{name.lower()}"] = (value,)
        if self.session_token_used:
            keys["aws:multifactorauthpresent"] = ("true" if self.mfa_present else "false",)
            if self.token_issue_time is not None:
                issued = self.token_issue_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                keys["aws:tokenissuetime"] = (issued,)
        return keys


class CredentialStore:
    """Access key id -> :class:`Credential`; built once at load time, read per request."""

    def __init__(self, credentials: Iterable[Credential] = ()) -> None:
        self._by_key = {c.access_key: c for c in credentials}

    def get(self, access_key: str) -> Credential | None:
        """The credential for ``access_key``, or ``None`` when unknown."""
        return self._by_key.get(access_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[Credential]:
        return iter(self._by_key.values())

    def __contains__(self, access_key: object) -> bool:
        return access_key in self._by_key

    @classmethod
    def from_mapping(cls, data: object, *, source: str | None = None) -> CredentialStore:
        """Build from ``{access_key_id: {secret, principal, session_token?, tags?, ...}}``."""
        problems: list[Problem] = []
        if not isinstance(data, Mapping):
            raise ConfigError([Problem("", "credentials must be a mapping of access key id to entry")], source)
        creds = [
            cred
            for key, entry in data.items()
            if (cred := _credential_from_entry(key, entry, str(key), problems)) is not None
        ]
        if problems:
            raise ConfigError(problems, source)
        return cls(creds)

    @classmethod
    def from_credentials_file(cls, path: str | Path, *, principals: Mapping[str, str] | None = None) -> CredentialStore:
        """Read an AWS CLI credentials file; each profile needs a principal ARN."""
        try:
            text = read_text(path)
        except OSError as exc:
            raise ConfigError([Problem("", f"cannot read file: {exc.strerror}")], str(path)) from exc
        except DocumentError as exc:
            raise ConfigError(exc.problems, str(path)) from None
        return cls.from_credentials_text(text, source=str(path), principals=principals)

    @classmethod
    def from_credentials_text(
        cls, text: str, *, source: str | None = None, principals: Mapping[str, str] | None = None
    ) -> CredentialStore:
        """Parse the INI text of an AWS CLI credentials file."""
        parser = configparser.ConfigParser(interpolation=None, default_section="\x00none")
        try:
            parser.read_string(text, source=source or "<credentials>")
        except configparser.Error as exc:
            message = " ".join(str(exc).split())
            raise ConfigError([Problem("", f"not a valid credentials file: {message}")], source) from exc
        problems: list[Problem] = []
        entries: dict[str, tuple[str, dict[str, str]]] = {}
        for profile in parser.sections():
            entry, key = _entry_from_profile(profile, parser[profile], principals or {}, problems)
            if key is None:
                continue
            if key in entries:
                problems.append(Problem(f"[{profile}]", f"access key `{key}` is already used by another profile"))
                continue
            entries[key] = (profile, entry)
        creds = [
            cred
            for key, (profile, entry) in entries.items()
            if (cred := _credential_from_entry(key, entry, f"[{profile}]", problems)) is not None
        ]
        if problems:
            raise ConfigError(problems, source)
        return cls(creds)


def _entry_from_profile(
    profile: str, section: Mapping[str, str], principals: Mapping[str, str], problems: list[Problem]
) -> tuple[dict[str, str], str | None]:
    where = f"[{profile}]"
    key = section.get("aws_access_key_id", "").strip()
    secret = section.get("aws_secret_access_key", "").strip()
    for name, value in (("aws_access_key_id", key), ("aws_secret_access_key", secret)):
        if not value:
            problems.append(Problem(f"{where}.{name}", "missing"))
    principal = section.get("principal_arn", "").strip() or principals.get(profile, "")
    if not principal:
        problems.append(Problem(f"{where}.principal_arn", "missing (or give a principal for this profile)"))
    if not (key and secret and principal):
        return {}, None
    entry = {"secret": secret, "principal": principal}
    token = section.get("aws_session_token", "").strip()
    if token:
        entry["session_token"] = token
    return entry, key


def _credential_from_entry(key: object, entry: object, where: str, problems: list[Problem]) -> Credential | None:
    before = len(problems)
    if not isinstance(key, str) or not _ACCESS_KEY_RE.match(key):
        problems.append(Problem(where, f"`{key}` is not a valid access key id"))
    if not isinstance(entry, Mapping):
        problems.append(Problem(where, "must be a mapping with `secret` and `principal`"))
        return None
    for name in sorted(str(n) for n in set(entry) - _FIELDS):
        problems.append(Problem(f"{where}.{name}", f"unknown field `{name}`"))
    secret = _string(entry, "secret", where, problems, required=True)
    arn = _string(entry, "principal", where, problems, required=True)
    info = parse_principal(arn) if arn else None
    if arn and info is None:
        problems.append(
            Problem(
                f"{where}.principal",
                f"`{arn}` is not a user, root, assumed-role or federated-user ARN",
            )
        )
    token = _string(entry, "session_token", where, problems)
    user_id = _string(entry, "user_id", where, problems)
    tags = _tags(entry.get("tags"), f"{where}.tags", problems)
    mfa = entry.get("mfa", False)
    if not isinstance(mfa, bool):
        problems.append(Problem(f"{where}.mfa", "must be true or false"))
    issued = _timestamp(entry.get("token_issue_time"), f"{where}.token_issue_time", problems)
    expiration = _timestamp(entry.get("expiration"), f"{where}.expiration", problems)
    if len(problems) > before or info is None or not isinstance(key, str):
        return None
    return Credential(key, secret, info, token or None, tags, user_id or None, mfa is True, issued, expiration)


def _string(entry: Mapping[str, Any], name: str, where: str, problems: list[Problem], *, required: bool = False) -> str:
    value = entry.get(name)
    if value is None:
        if required:
            problems.append(Problem(f"{where}.{name}", "missing"))
        return ""
    if not isinstance(value, str) or not value:
        problems.append(Problem(f"{where}.{name}", "must be a non-empty string"))
        return ""
    return value


def _tags(raw: object, where: str, problems: list[Problem]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append(Problem(where, "must be a mapping of tag key to value"))
        return {}
    tags: dict[str, str] = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not name or not isinstance(value, str | int | float | bool):
            problems.append(Problem(f"{where}.{name}", "tag keys and values must be strings"))
            continue
        tags[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return tags


def _timestamp(raw: object, where: str, problems: list[Problem]) -> datetime | None:
    if raw is None:
        return None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            problems.append(Problem(where, f"`{raw}` is not an ISO 8601 timestamp"))
            return None
    else:
        problems.append(Problem(where, "must be an ISO 8601 timestamp"))
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
