"""The dashboard in a real browser (Debian's headless Chromium through selenium and chromedriver).

A denied request appears in the live table within 2 s without a reload; its page shows the
failing condition; the "would AWS let this through?" form answers; what a client sent is shown as
text, never run as HTML. A screenshot of each page goes to the test's tmp dir (and to
``$GATEWAYSIM_SCREENSHOTS`` when set).
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from gatewaysim.testing import ThreadedGateway

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Office",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.113.0/24", "203.0.113.0/24"]}},
        },
        {
            "Sid": "Lab",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*/GET/lab/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.1/8"}},  # host bits set: check warns
        },
    ],
}


def _app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"path": request.path})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


@pytest.fixture(scope="module")
def gateway() -> Iterator[ThreadedGateway]:
    with ThreadedGateway(backend=_app(), policy=POLICY) as gw:
        yield gw


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    for program in (CHROMIUM, CHROMEDRIVER):
        assert Path(program).is_file(), f"{program} is missing: `.ci/run` installs chromium and chromium-driver"
    options = Options()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1280,800"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    wanted = os.environ.get("GATEWAYSIM_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        for png in folder.glob("*.png"):
            shutil.copy(png, Path(wanted) / png.name)


def _shot(browser: WebDriver, shots: Path, name: str) -> None:
    assert browser.save_screenshot(str(shots / f"{name}.png"))


def test_a_denied_request_appears_live_and_its_page_shows_the_failing_condition(
    gateway: ThreadedGateway, browser: WebDriver, shots: Path
) -> None:
    allowed = gateway.request("/prod/pets", source="127.0.113.7")
    assert allowed.status == 200
    browser.get(gateway.url + "/_gatewaysim/ui")
    WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "live").text == "live")
    denied = gateway.request("/prod/hr-systems", source="127.0.0.9")
    request_id = denied.headers["x-amzn-RequestId"]
    assert denied.status == 403
    # the row arrives without a reload, within 2 s
    row = WebDriverWait(browser, 2).until(
        lambda b: b.find_element(By.CSS_SELECTOR, f'#requests tr[data-id="{request_id}"]')
    )
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells[1:7] == ["GET", "/prod/hr-systems", "403", "anonymous", "127.0.0.9", "policy"]
    assert "IpAddress aws:SourceIp: request has `127.0.0.9`" in cells[7]
    _shot(browser, shots, "1-requests")
    row.find_element(By.TAG_NAME, "a").click()
    WebDriverWait(browser, 5).until(lambda b: "/_gatewaysim/ui/requests/" in b.current_url)
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "refused by policy: ImplicitDeny" in page
    failing = browser.find_element(By.CSS_SELECTOR, "table.trace tr.fails")
    assert [td.text for td in failing.find_elements(By.TAG_NAME, "td")][3:] == [
        "Condition",
        "aws:SourceIp",
        "127.0.0.9",
        "127.0.113.0/24, 203.0.113.0/24",
    ]
    assert "Statement[0] (Office) would allow it if aws:SourceIp matched 127.0.113.0/24, 203.0.113.0/24" in page
    _shot(browser, shots, "2-request")


def test_the_table_filters_by_decision_status_and_path(gateway: ThreadedGateway, browser: WebDriver) -> None:
    gateway.request("/prod/filtered-a", source="127.0.113.8")
    gateway.request("/prod/filtered-b", source="127.0.0.10")
    browser.get(gateway.url + "/_gatewaysim/ui")
    browser.find_element(By.NAME, "path").send_keys("filtered")
    browser.find_element(By.CSS_SELECTOR, 'select[name="decision"] option[value="refused"]').click()
    visible = [
        r.get_attribute("data-path")
        for r in browser.find_elements(By.CSS_SELECTOR, "#requests tbody tr")
        if r.is_displayed()
    ]
    assert visible == ["/prod/filtered-b"]
    browser.find_element(By.CSS_SELECTOR, 'select[name="decision"] option[value=""]').click()
    browser.find_element(By.NAME, "status").send_keys("2xx")
    visible = [
        r.get_attribute("data-path")
        for r in browser.find_elements(By.CSS_SELECTOR, "#requests tbody tr")
        if r.is_displayed()
    ]
    assert visible == ["/prod/filtered-a"]


def _shadow(gateway: ThreadedGateway, method: str, document: object = None) -> int:
    url = gateway.url + "/_gatewaysim/apis/abcdef1234/shadow-policy"
    data = json.dumps(document).encode() if document is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method), timeout=10) as reply:
        return int(reply.status)


def test_the_table_filters_on_what_the_shadow_policy_would_decide_differently(
    gateway: ThreadedGateway, browser: WebDriver, shots: Path
) -> None:
    narrower = {"IpAddress": {"aws:SourceIp": "127.0.113.0/25"}}  # the office's lower half only
    assert _shadow(gateway, "PUT", {**POLICY, "Statement": [{**POLICY["Statement"][0], "Condition": narrower}]}) == 200
    try:
        browser.get(gateway.url + "/_gatewaysim/ui")
        WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "live").text == "live")
        same = gateway.request("/prod/shadow-same", source="127.0.113.12")
        differs = gateway.request("/prod/shadow-differs", source="127.0.113.200")
    finally:
        assert _shadow(gateway, "DELETE") == 204
    assert (same.status, differs.status) == (200, 200)  # never enforced
    WebDriverWait(browser, 2).until(
        lambda b: b.find_element(By.CSS_SELECTOR, f'#requests tr[data-id="{differs.headers["x-amzn-RequestId"]}"]')
    )
    browser.find_element(By.NAME, "path").send_keys("shadow-")
    browser.find_element(By.CSS_SELECTOR, 'select[name="shadow"] option[value="differs"]').click()
    shown = [r for r in browser.find_elements(By.CSS_SELECTOR, "#requests tbody tr") if r.is_displayed()]
    assert [r.get_attribute("data-path") for r in shown] == ["/prod/shadow-differs"]
    assert shown[0].get_attribute("data-shadow") == "newlyDenied"
    why = shown[0].find_elements(By.TAG_NAME, "td")[7].text
    assert why == "shadow policy: newlyDenied: Statement[0] (Office) no longer applies: IpAddress aws:SourceIp"
    _shot(browser, shots, "3-shadow-differs")
    browser.find_element(By.CSS_SELECTOR, 'select[name="shadow"] option[value=""]').click()


def _pairs(browser: WebDriver, css: str) -> dict[str, str]:
    rows = browser.find_elements(By.CSS_SELECTOR, f"{css} tr")
    return {r.find_element(By.TAG_NAME, "th").text: r.find_element(By.TAG_NAME, "td").text for r in rows}


def test_a_request_page_shows_the_shadow_decision_where_it_differs(
    gateway: ThreadedGateway, browser: WebDriver, shots: Path
) -> None:
    no_audit = {"Sid": "NoAudit", "Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke"}
    shadow = {**POLICY, "Statement": [*POLICY["Statement"], {**no_audit, "Resource": "execute-api:/*/GET/audit"}]}
    assert _shadow(gateway, "PUT", shadow) == 200
    try:
        differs = gateway.request("/prod/audit", source="127.0.113.14")
        same = gateway.request("/prod/audit-log", source="127.0.113.14")
    finally:
        assert _shadow(gateway, "DELETE") == 204
    assert (differs.status, same.status) == (200, 200)  # never enforced
    browser.get(gateway.url + "/_gatewaysim/ui")
    row = browser.find_element(By.CSS_SELECTOR, f'#requests tr[data-id="{differs.headers["x-amzn-RequestId"]}"]')
    row.find_element(By.CSS_SELECTOR, "td.path a").click()  # the row's link, as a user follows it
    WebDriverWait(browser, 5).until(lambda b: b.find_elements(By.ID, "shadow"))
    assert browser.find_element(By.CSS_SELECTOR, "#shadow h2").text == "Shadow policy decides it differently"
    assert _pairs(browser, "#shadow table.shadow") == {
        "change": "newly denied: allowed now, refused under the shadow policy",
        "outcome": "ExplicitDeny",
        "deciding statement": "Statement[2] (NoAudit)",
        "answer": "refused",
        "verdict": "policy-only: -/Deny -> ExplicitDeny",
        "what differs": "denied by Statement[2] (NoAudit)",
    }
    assert browser.find_element(By.CSS_SELECTOR, "h1").text == "GET /prod/audit -> 200"  # the live answer
    _shot(browser, shots, "3-request-shadow")
    browser.get(gateway.url + "/_gatewaysim/ui/requests/" + same.headers["x-amzn-RequestId"])
    assert browser.find_element(By.CSS_SELECTOR, "h1").text == "GET /prod/audit-log -> 200"
    assert browser.find_elements(By.ID, "shadow") == []  # the shadow agrees: nothing to show


def test_what_a_client_sent_is_text_never_markup(gateway: ThreadedGateway, browser: WebDriver, shots: Path) -> None:
    browser.get(gateway.url + "/_gatewaysim/ui")
    WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "live").text == "live")
    attack = "/prod/<img/src=x/onerror=document.title='pwned'>"
    gateway.request(attack, source="127.0.0.11", headers={"User-Agent": "<script>document.title='pwned'</script>"})
    WebDriverWait(browser, 2).until(lambda b: "<img/src=x" in b.find_element(By.ID, "requests").text)
    assert browser.find_elements(By.CSS_SELECTOR, "#requests img") == []
    browser.refresh()  # the server-rendered rows too
    assert "<img/src=x" in browser.find_element(By.ID, "requests").text
    assert browser.find_elements(By.CSS_SELECTOR, "main img, main script") == []
    assert browser.title != "pwned"


def test_the_simulate_form_answers(gateway: ThreadedGateway, browser: WebDriver, shots: Path) -> None:
    browser.get(gateway.url + "/_gatewaysim/ui/simulate")
    path = browser.find_element(By.NAME, "path")
    path.clear()
    path.send_keys("/prod/reports")
    browser.find_element(By.NAME, "source_ip").send_keys("203.0.113.20")
    browser.find_element(By.CSS_SELECTOR, "#simulate button").click()
    answer = WebDriverWait(browser, 5).until(lambda b: b.find_element(By.CSS_SELECTOR, "#answer .verdict"))
    assert answer.text.startswith("Yes: AWS would let it through")
    source = browser.find_element(By.NAME, "source_ip")
    source.clear()
    source.send_keys("198.18.0.1")
    browser.find_element(By.CSS_SELECTOR, "#simulate button").click()
    WebDriverWait(browser, 5, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda b: "No:" in b.find_element(By.CSS_SELECTOR, "#answer .verdict").text
    )
    text = browser.find_element(By.ID, "answer").text
    assert "would allow it if aws:SourceIp matched 127.0.113.0/24, 203.0.113.0/24" in text
    _shot(browser, shots, "4-simulate")


def test_the_api_page_shows_routes_and_the_findings_by_their_statement(
    gateway: ThreadedGateway, browser: WebDriver, shots: Path
) -> None:
    browser.get(gateway.url + "/_gatewaysim/ui/apis")
    statements = browser.find_elements(By.CSS_SELECTOR, ".statement")
    assert [s.find_element(By.TAG_NAME, "h3").text for s in statements] == ["Statement[0]", "Statement[1]"]
    for index, statement in enumerate(statements):  # each finding next to the statement it concerns
        paths = [li.text.split(" ")[2] for li in statement.find_elements(By.CSS_SELECTOR, ".findings li")]
        assert paths and all(p.startswith(f"Statement[{index}].") for p in paths), (index, paths)
    assert "GS304" in statements[1].text  # 10.0.0.1/8: host bits set
    assert "every path" in browser.find_element(By.CSS_SELECTOR, ".api table").text
    _shot(browser, shots, "3-apis")


def test_a_narrow_window_reads_without_sideways_scrolling(
    gateway: ThreadedGateway, browser: WebDriver, shots: Path
) -> None:
    browser.set_window_size(420, 800)
    try:
        for page in ("", "/apis", "/simulate"):
            browser.get(gateway.url + "/_gatewaysim/ui" + page)
            overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (page, overflow)
        browser.get(gateway.url + "/_gatewaysim/ui")
        _shot(browser, shots, "5-requests-narrow")
    finally:
        browser.set_window_size(1280, 800)
