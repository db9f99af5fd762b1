"""The orders functions (gatewaysim forwards to the configured backend instead, until Lambda integrations land)."""

from __future__ import annotations

import json
from typing import Any


def _reply(body: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def list_orders(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _reply({"orders": []})


def get_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _reply({"order": event["pathParameters"]["orderId"]})


def admin(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _reply({"admin": True})


def health(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _reply({"ok": True})
