"""``authorizationType: AWS_IAM``: verify SigV4, then find the caller's identity-policy column.

The verified signer becomes the caller the resource policy is evaluated for, with the principal
condition keys (``aws:PrincipalArn``, ``aws:PrincipalAccount`` ...) filled. The IAM-policy column of
Tables A/B comes from the caller's identity policy when one is configured (by principal ARN, or by
role ARN for a role session), and is Allow otherwise (see ``base.identity_policy_column``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from gatewaysim.authorizers.base import AuthorizerRequest, AuthorizerResult, Rejection, identity_policy_column
from gatewaysim.authorizers.credentials import CredentialStore, VerifiedCaller
from gatewaysim.authorizers.sigv4 import SigV4Rejected, verify_sigv4
from gatewaysim.policy import CompiledPolicy, Request

__all__ = ["IamAuthorizer"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class IamAuthorizer:
    """SigV4 verification against a credential store, plus optional identity policies."""

    needs_body = True

    def __init__(
        self,
        store: CredentialStore,
        *,
        region: str,
        identity_policies: Mapping[str, CompiledPolicy] | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.store = store
        self.region = region
        self.identity_policies = dict(identity_policies or {})
        self.clock = clock

    async def authorize(self, request: AuthorizerRequest) -> AuthorizerResult:
        """Verify the signature; a failure ends the request with AWS's 403 text."""
        try:
            caller = verify_sigv4(
                request.method,
                request.raw_path,
                request.query_string,
                request.headers,
                request.body or b"",
                store=self.store,
                region=self.region,
                now=self.clock(),
            )
        except SigV4Rejected as exc:
            rejection = Rejection(exc.response_type, exc.status, exc.message, exc.error_type, exc.reason.name)
            return AuthorizerResult.rejected(rejection)
        keys = caller.context_keys()
        context = {**request.condition_context, **keys}
        identity_request = Request(caller.principal_arn, "execute-api:Invoke", request.method_arn, context)
        column, decision = identity_policy_column(self._identity_policy(caller), identity_request)
        return AuthorizerResult(column, principal=caller.principal_arn, context_keys=keys, decision=decision)

    def _identity_policy(self, caller: VerifiedCaller) -> CompiledPolicy | None:
        for name in (caller.principal_arn, caller.policy_principal_arn, caller.access_key):
            if name and name in self.identity_policies:
                return self.identity_policies[name]
        return None
