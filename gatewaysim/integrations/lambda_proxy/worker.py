"""A function's worker process: load the handler once, then answer the gateway's invocations.

Run by the gateway as ``python -m gatewaysim.integrations.lambda_proxy.worker IN_FD OUT_FD PID``, with
the function's code directory as working directory and only the function's environment (its
variables and Lambda's own: ``AWS_LAMBDA_FUNCTION_NAME``, ``LAMBDA_TASK_ROOT`` ...). It speaks
``frames`` on the two pipes. Like Lambda's Python runtime it:

* puts the code directory first on ``sys.path`` and imports the handler's module once (an import
  error is reported as ``Runtime.ImportModuleError``, a syntax error as
  ``Runtime.UserCodeSyntaxError``, a missing function as ``Runtime.HandlerNotFound``);
* calls ``handler(event, context)`` with a Lambda context (``aws_request_id``,
  ``function_name``, ``invoked_function_arn``, ``memory_limit_in_mb``,
  ``get_remaining_time_in_millis()``, ``log_group_name``, ``log_stream_name`` ...);
* serialises the answer with ``json.dumps`` (``Decimal`` as a number), so what Lambda cannot
  marshal fails here too (``Runtime.MarshalError``), and refuses answers over 6 MB;
* reports an exception as ``{"errorMessage", "errorType", "requestId", "stackTrace"}`` and logs
  its traceback; ``sys.exit`` or a crash ends the process (the gateway restarts it).

What the handler prints or logs goes to the gateway as ``LOG`` frames, in order, so the gateway
tags each line with the function and the request id. Standard library only (``orjson`` when
installed, to read events faster): this module runs before the user's code in every cold start.
"""

from __future__ import annotations

import decimal
import importlib
import importlib.util
import io
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, Final

from gatewaysim.integrations.lambda_proxy import frames

_loads: Callable[[bytes], Any]
try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a dependency; the worker works without it
    _loads = json.loads

__all__ = ["FrameStream", "LambdaContext", "main"]

MAX_RESPONSE: Final = 6_291_556
"""Lambda's limit on a synchronous answer, in bytes."""
_LOG_FORMAT: Final = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
_MAX_MODULE_FILES: Final = 2000


class LambdaContext:
    """The ``context`` a handler gets, with the attributes Lambda's Python runtime gives it."""

    __slots__ = (
        "_deadline_ms",
        "aws_request_id",
        "client_context",
        "function_name",
        "function_version",
        "identity",
        "invoked_function_arn",
        "log_group_name",
        "log_stream_name",
        "memory_limit_in_mb",
    )

    def __init__(self, init: dict[str, Any], invoke: dict[str, Any]) -> None:
        self.function_name: str = init["functionName"]
        self.function_version: str = init["functionVersion"]
        self.memory_limit_in_mb: int = int(init["memorySize"])
        self.log_group_name: str = init["logGroupName"]
        self.log_stream_name: str = init["logStreamName"]
        self.aws_request_id: str = invoke["requestId"]
        self.invoked_function_arn: str = invoke["arn"]
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline_ms: int = int(invoke["deadlineMs"])

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, self._deadline_ms - int(time.time() * 1000))


class FrameStream(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` of the worker: whole lines go to the gateway as ``LOG`` frames."""

    def __init__(self, out_fd: int, fileno: int) -> None:
        super().__init__()
        self._out_fd = out_fd
        self._fileno = fileno
        self._parts: list[str] = []
        self._size = 0

    @property
    def encoding(self) -> str:  # type: ignore[override]  # TextIOBase declares it read-only
        return "utf-8"

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fileno  # C-level writes reach the gateway on the process's own pipe

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._parts.append(text)
        self._size += len(text)
        if "\n" in text or self._size > 64 * 1024:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self._parts:
            data = "".join(self._parts)
            self._parts, self._size = [], 0
            frames.write_frame(self._out_fd, frames.LOG, data.encode("utf-8", "backslashreplace"))


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _error(exc: BaseException, error_type: str | None = None, message: str | None = None) -> dict[str, Any]:
    frames_list = traceback.extract_tb(exc.__traceback__)
    return {
        "errorMessage": str(exc) if message is None else message,
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(frames_list),
    }


def _load(init: dict[str, Any]) -> Callable[..., Any]:
    """The handler function; raises ``_InitError`` with Lambda's error type and text."""
    module_name = init.get("module") or os.path.splitext(os.path.basename(init["file"]))[0]
    try:
        if init.get("file"):
            spec = importlib.util.spec_from_file_location(module_name, init["file"])
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load `{init['file']}`")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except SyntaxError as exc:
        message = f"Syntax error in module '{module_name}': {exc}"
        raise _InitError(_error(exc, "Runtime.UserCodeSyntaxError", message)) from exc
    except ImportError as exc:
        message = f"Unable to import module '{module_name}': {exc}"
        raise _InitError(_error(exc, "Runtime.ImportModuleError", message)) from exc
    except Exception as exc:
        raise _InitError(_error(exc)) from exc
    handler: Any = module
    for part in str(init["attribute"]).split("."):
        handler = getattr(handler, part, None)
    if not callable(handler):
        message = f"Handler '{init['attribute']}' missing on module '{module_name}'"
        raise _InitError({"errorMessage": message, "errorType": "Runtime.HandlerNotFound", "stackTrace": []})
    return handler  # type: ignore[no-any-return]  # callable() narrowed it


class _InitError(Exception):
    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload["errorMessage"])
        self.payload = payload


def _decimal(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _loaded_files(prefix: str, seen: dict[str, list[int]]) -> dict[str, list[int]]:
    """``seen`` plus the code directory's module files loaded since, each with the (mtime, size) it
    had when first seen: the gateway compares them with the files now to know if this code is stale."""
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.startswith(prefix) and path not in seen and len(seen) < _MAX_MODULE_FILES:
            try:
                info = os.stat(path)
            except OSError:
                continue
            seen[path] = [info.st_mtime_ns, info.st_size]
    return seen


def _send_json(fd: int, kind: int, value: Any) -> None:
    frames.write_frame(fd, kind, json.dumps(value).encode("utf-8"))


def _invoke(handler: Callable[..., Any], init: dict[str, Any], invoke: dict[str, Any]) -> tuple[int, bytes]:
    """Run the handler once; the frame kind and payload to answer with."""
    context = LambdaContext(init, invoke)
    try:
        result = handler(invoke["event"], context)
    except Exception as exc:
        error = _error(exc)
        trace = "".join(error["stackTrace"])
        logging.getLogger().error("%s: %s\nTraceback (most recent call last):\n%s", error["errorType"], exc, trace)
        return frames.ERROR, json.dumps({**error, "requestId": context.aws_request_id}).encode("utf-8")
    try:
        data = json.dumps(result, default=_decimal).encode("utf-8")
    except (TypeError, ValueError) as exc:
        error = {"errorMessage": f"Unable to marshal response: {exc}", "errorType": "Runtime.MarshalError"}
        return frames.ERROR, json.dumps({**error, "requestId": context.aws_request_id, "stackTrace": []}).encode()
    if len(data) > MAX_RESPONSE:
        message = f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE} bytes)."
        error = {"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"}
        return frames.ERROR, json.dumps({**error, "requestId": context.aws_request_id, "stackTrace": []}).encode()
    return frames.RESULT, data


def _streams(out_fd: int) -> tuple[FrameStream, FrameStream, _RequestIdFilter]:
    stdout, stderr = FrameStream(out_fd, 1), FrameStream(out_fd, 2)
    sys.stdout, sys.stderr = stdout, stderr
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - the process's stdin, for its lifetime
    handler = logging.StreamHandler(stdout)
    handler.terminator = ""  # Lambda's format ends its own lines
    formatter = logging.Formatter(_LOG_FORMAT, "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    request_ids = _RequestIdFilter()
    handler.addFilter(request_ids)
    logging.getLogger().handlers[:] = [handler]
    return stdout, stderr, request_ids


def _die_with_the_gateway(gateway: int) -> None:
    """Linux: the kernel kills this worker when the gateway dies, even mid-hang (PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return  # elsewhere the closed pipe ends an idle worker; a hung one lives until killed
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        return
    if os.getppid() != gateway:  # the gateway died before the call above
        os._exit(1)


def main(argv: list[str]) -> int:
    """Serve invocations until the gateway closes the pipe."""
    _die_with_the_gateway(int(argv[3]))
    in_fd, out_fd = int(argv[1]), int(argv[2])
    stdout, stderr, request_ids = _streams(out_fd)
    _, payload = frames.read_frame(in_fd)
    init = json.loads(payload)
    code_dir = os.path.realpath(init["codeDir"])
    sys.path.insert(0, code_dir)
    try:
        handler = _load(init)
    except _InitError as exc:
        stdout.flush()
        stderr.flush()
        _send_json(out_fd, frames.INIT_ERROR, exc.payload)
        return 1
    prefix = code_dir + os.sep
    seen = _loaded_files(prefix, {})
    _send_json(out_fd, frames.READY, {"modules": seen})
    known = len(sys.modules)
    while True:
        try:
            _, payload = frames.read_frame(in_fd)
        except EOFError:
            return 0
        invoke = _loads(payload)
        request_ids.request_id = invoke["requestId"]
        os.environ["_X_AMZN_TRACE_ID"] = invoke.get("traceId", "")
        kind, answer = _invoke(handler, init, invoke)
        stdout.flush()
        stderr.flush()
        if len(sys.modules) != known:
            known = len(sys.modules)
            _send_json(out_fd, frames.MODULES, {"modules": _loaded_files(prefix, seen)})
        frames.write_frame(out_fd, kind, answer)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
