"""The dashboard over HTTP (no browser): the admin API's access rule, escaping, headers, the static files."""

from __future__ import annotations

import json
from pathlib import Path

from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

OPEN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}],
}
PAGES = ("/_gatewaysim/ui", "/_gatewaysim/ui/apis", "/_gatewaysim/ui/simulate")


async def test_every_page_answers_with_a_strict_content_security_policy(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        replies = [await request_from(gw.url + page) for page in PAGES]
    for reply in replies:
        assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/html")
        csp = reply.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
        assert reply.headers["X-Content-Type-Options"] == "nosniff"


async def test_what_a_client_sent_is_escaped_in_every_page(backend: RecordingBackend) -> None:
    attack = "<script>alert(1)</script>"
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        sent = await request_from(
            gw.url + "/prod/x", headers={"X-Gatewaysim-Principal": f"arn:aws:iam::1:user/{attack}"}
        )
        page = await request_from(gw.url + "/_gatewaysim/ui")
        story = await request_from(gw.url + "/_gatewaysim/ui/requests/" + sent.headers["x-amzn-RequestId"])
        simulate = await request_from(gw.url + f"/_gatewaysim/ui/simulate?path=/prod/{attack}&caller={attack}&run=1")
    for reply in (page, story, simulate):
        text = reply.body.decode()
        assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


async def test_the_dashboard_follows_the_admin_rule_and_a_token_cookie_only_reads(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url, admin={"token": "s3cret-t0ken"}) as gw:
        without = await request_from(gw.url + "/_gatewaysim/ui")
        login = await request_from(gw.url + "/_gatewaysim/ui?token=s3cret-t0ken")
        cookie = {"Cookie": "gatewaysim_admin_token=s3cret-t0ken"}
        with_cookie = await request_from(gw.url + "/_gatewaysim/ui/apis", headers=cookie)
        wrong = await request_from(gw.url + "/_gatewaysim/ui", headers={"Cookie": "gatewaysim_admin_token=nope"})
        put = await request_from(
            gw.url + "/_gatewaysim/apis/abcdef1234/policy", method="PUT", data=json.dumps(OPEN).encode(), headers=cookie
        )
        proxied = await request_from(gw.url + "/_gatewaysim/ui", headers={**cookie, "X-Forwarded-For": "127.0.0.1"})
    assert (without.status, with_cookie.status, wrong.status) == (401, 200, 401)
    assert login.status == 303 and login.headers["Location"] == "/_gatewaysim/ui"
    set_cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Path=/_gatewaysim/" in set_cookie
    assert put.status == 401  # changing a policy needs Authorization: Bearer, never the cookie
    assert proxied.status == 403  # through a proxy: remote, whatever it presents


async def test_only_the_shipped_static_files_are_served(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        script = await request_from(gw.url + "/_gatewaysim/ui/static/dashboard.js")
        style = await request_from(gw.url + "/_gatewaysim/ui/static/dashboard.css")
        other = await request_from(gw.url + "/_gatewaysim/ui/static/..%2f..%2fpages.py")
        post = await request_from(gw.url + "/_gatewaysim/ui", method="POST")
        missing = await request_from(gw.url + "/_gatewaysim/ui/requests/no-such-id")
    assert (script.status, style.status, other.status, post.status, missing.status) == (200, 200, 404, 405, 404)
    assert script.headers["Content-Type"].startswith("text/javascript") and b"EventSource" in script.body
    assert b"textContent" in script.body and b"innerHTML" not in script.body


async def test_the_request_page_shows_the_integration_and_the_headers_sent_never_a_secret(
    backend: RecordingBackend, tmp_path: Path
) -> None:
    decisions = tmp_path / "decisions.jsonl"
    async with GatewayServer(policy=OPEN, backend=backend.url, decisions_file=str(decisions)) as gw:
        sent = await request_from(
            gw.url + "/prod/pets", headers={"X-Trace": "t-42", "Authorization": "Bearer very-secret-token"}
        )
        request_id = sent.headers["x-amzn-RequestId"]
        page = (await request_from(gw.url + "/_gatewaysim/ui/requests/" + request_id)).body.decode()
        event = (await request_from(gw.url + f"/_gatewaysim/decisions?request_id={request_id}")).json()["events"][0]
    integration = event["integration"]
    assert (integration["type"], integration["status"]) == ("HTTP_PROXY", 200)
    assert integration["target"] == f"GET {backend.url}/pets" and integration["latencyMs"] > 0
    assert integration["requestHeaders"]["X-Trace"] == "t-42"
    assert integration["requestHeaders"]["Authorization"] == "(redacted, 24 characters)"
    assert "sent X-Trace" in page and "t-42" in page and "very-secret-token" not in page
    assert "very-secret-token" not in decisions.read_text()


async def test_the_table_marks_the_rows_the_shadow_policy_would_decide_differently(backend: RecordingBackend) -> None:
    deny_pets = {**OPEN, "Statement": [*OPEN["Statement"], {**OPEN["Statement"][0], "Effect": "Deny", "Sid": "NoPets",
                                                              "Resource": "execute-api:/*/*/pets"}]}  # fmt: skip
    async with GatewayServer(
        config={"api": {"policy": OPEN, "shadow_policy": deny_pets, "backend": backend.url}}
    ) as gw:
        pets = await request_from(gw.url + "/prod/pets")
        other = await request_from(gw.url + "/prod/other")
        page = (await request_from(gw.url + "/_gatewaysim/ui")).body.decode()
    assert (pets.status, other.status) == (200, 200)
    assert page.count('data-shadow="newlyDenied"') == 1 and page.count('data-shadow=""') == 1
    assert "shadow policy: newlyDenied: denied by Statement[1] (NoPets)" in page
    assert '<option value="differs">shadow differs</option>' in page
