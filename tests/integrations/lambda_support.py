"""Shared pieces of the Lambda proxy tests: the functions under tests/data/lambda and a config for them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

DATA: Final = Path(__file__).resolve().parents[1] / "data" / "lambda"


def function(name: str, **extra: Any) -> dict[str, Any]:
    """A `functions` entry for the handler in tests/data/lambda/<name>/app.py."""
    return {"handler": "app.lambda_handler", "code": str(DATA / name), **extra}


def proxy_route(resource: str, function_name: str, method: str = "ANY", **integration: Any) -> dict[str, Any]:
    """A route whose AWS_PROXY integration calls ``function_name``."""
    return {
        "resource": resource,
        "method": method,
        "integration": {"type": "AWS_PROXY", "function": function_name, **integration},
    }


def config(*routes: dict[str, Any], functions: dict[str, Any], **api: Any) -> dict[str, Any]:
    """A config with one open API (no policy) serving ``routes``."""
    return {
        "api": {"backend": "http://127.0.0.1:9", "policy": None, "routes": list(routes), **api},
        "functions": functions,
    }
