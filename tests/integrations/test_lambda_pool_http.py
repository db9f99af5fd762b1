"""Worker pools over real HTTP: concurrency per function, and code reloads (--reload-functions)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from gatewaysim.testing import ThreadedGateway
from tests.integrations.lambda_support import config, function, proxy_route

HANDLER = """
import os
import time

def lambda_handler(event, context):
    query = event["queryStringParameters"] or {{}}
    time.sleep(float(query.get("s", "0")))
    return {{"statusCode": 200, "body": "{version} " + str(os.getpid())}}
"""


def _write(path: Path, version: str) -> None:
    path.write_text(HANDLER.format(version=version))
    stamp = time.time_ns() + 10_000_000 * int(version.removeprefix("v"))  # a new mtime even within one tick
    os.utime(path, ns=(stamp, stamp))


def _parallel(gw: ThreadedGateway, targets: list[str]) -> list[Any]:
    replies: list[Any] = [None] * len(targets)

    def call(index: int) -> None:
        replies[index] = gw.request(targets[index], timeout=10)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return replies


def test_concurrency_bounds_the_workers_and_extra_requests_wait(tmp_path: Path) -> None:
    _write(tmp_path / "app.py", "v1")
    functions = {"one": {"handler": "app.lambda_handler", "code": str(tmp_path), "concurrency": 1}}
    functions["two"] = {**functions["one"], "concurrency": 2}
    routes = (proxy_route("/one", "one", "GET"), proxy_route("/two", "two", "GET"))
    with ThreadedGateway(config=config(*routes, functions=functions)) as gw:
        gw.request("/prod/one"), gw.request("/prod/two")  # both warm
        one = _parallel(gw, ["/prod/one?s=0.3"] * 2)
        two = _parallel(gw, ["/prod/two?s=0.3"] * 2)
    assert [r.status for r in one + two] == [200] * 4
    assert len({r.body for r in one}) == 1  # one worker answered both, one after the other
    assert len({r.body for r in two}) == 2  # two workers side by side
    assert sorted(r.record["function"]["coldStart"] for r in two) == [False, True]


def test_editing_the_handler_changes_the_next_answer(tmp_path: Path) -> None:
    handler = tmp_path / "app.py"
    _write(handler, "v1")
    settings = config(
        proxy_route("/f", "f", "GET"),
        functions={"f": {"handler": "app.lambda_handler", "code": str(tmp_path)}},
    )
    settings["reload"] = {"functions": True, "interval_s": 30}  # the watcher is slow: the request itself looks
    with ThreadedGateway(config=settings) as gw:
        first = gw.request("/prod/f")
        _write(handler, "v2")
        second = gw.request("/prod/f")
    assert first.body.startswith(b"v1 ") and second.body.startswith(b"v2 ")
    assert second.record["function"]["coldStart"] is True


def test_the_watcher_restarts_workers_when_an_imported_module_changes(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("VALUE = 'one'\n")
    (tmp_path / "app.py").write_text(
        "import helper\n\ndef lambda_handler(event, context):\n    return {'statusCode': 200, 'body': helper.VALUE}\n"
    )
    settings = config(
        proxy_route("/f", "f", "GET"), functions={"f": {"handler": "app.lambda_handler", "code": str(tmp_path)}}
    )
    settings["reload"] = {"functions": True, "interval_s": 0.05}
    with ThreadedGateway(config=settings) as gw:
        assert gw.request("/prod/f").body == b"one"
        (tmp_path / "helper.py").write_text("VALUE = 'two'\n")
        stamp = time.time_ns() + 50_000_000
        os.utime(tmp_path / "helper.py", ns=(stamp, stamp))
        deadline = time.monotonic() + 5
        while (body := gw.request("/prod/f").body) == b"one" and time.monotonic() < deadline:
            time.sleep(0.05)
    assert body == b"two"


def test_without_reload_the_old_code_keeps_answering(tmp_path: Path) -> None:
    handler = tmp_path / "app.py"
    _write(handler, "v1")
    settings = config(proxy_route("/f", "f", "GET"), functions={"f": function("echo") | {"code": str(tmp_path)}})
    with ThreadedGateway(config=settings) as gw:
        gw.request("/prod/f")
        _write(handler, "v2")
        assert gw.request("/prod/f").body.startswith(b"v1 ")
