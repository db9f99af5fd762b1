"""Issue 17, finding 4 (paths), over real sockets: variants that backends trim or split never reach them.

Before: `GET /prod/public/..;/secret` (the policy allows only `GET /public/*`) was forwarded as is
(Tomcat and Spring read it as `/secret`), and `admin;x`, `admin.`, `admin%20` passed a Deny on
`admin` and reached backends that trim them. Now each is refused like `..`: 403 `Missing
Authentication Token`, nothing forwarded.
"""

from __future__ import annotations

import pytest

from gatewaysim.testing import GatewayServer, RecordingBackend, request_from
from tests.live_support import policy, statement

PUBLIC_ONLY = policy(statement(resource="execute-api:/*/GET/public/*"))
DENY_ADMIN = policy(
    statement(), statement("Deny", "execute-api:/*/*/admin"), statement("Deny", "execute-api:/*/*/admin/*")
)


@pytest.mark.parametrize(
    ("document", "path"),
    [
        (PUBLIC_ONLY, "/prod/public/..;/secret"),
        (PUBLIC_ONLY, "/prod/public/..;x=1/secret"),
        (PUBLIC_ONLY, "/prod/public/..%3B/secret"),
        (PUBLIC_ONLY, "/prod/public/.;/../secret"),
        (DENY_ADMIN, "/prod/admin;x"),
        (DENY_ADMIN, "/prod/admin;jsessionid=abc/keys"),
        (DENY_ADMIN, "/prod/admin."),
        (DENY_ADMIN, "/prod/admin%2e"),
        (DENY_ADMIN, "/prod/admin%20"),
        (DENY_ADMIN, "/prod/admin.%20/keys"),
    ],
)
async def test_a_path_a_backend_would_read_differently_is_refused_and_not_forwarded(
    backend: RecordingBackend, document: dict[str, object], path: str
) -> None:
    async with GatewayServer(policy=document, backend=backend.url) as gw:
        reply = await request_from(gw.url + path)
        control = await request_from(gw.url + "/prod/public/x")
    assert (reply.status, reply.json()) == (403, {"message": "Missing Authentication Token"})
    assert reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert control.status == 200
    assert [seen.raw_path for seen in backend.seen] == ["/public/x"]
