"""The public surface of the authorizer stage: every ``__all__`` is complete and resolvable."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = [
    "gatewaysim.gateway.authorize.tables",
    "gatewaysim.config.routes",
    "gatewaysim.authorizers",
    "gatewaysim.authorizers.base",
    "gatewaysim.authorizers.lambda_",
    "gatewaysim.authorizers.lambda_answer",
    "gatewaysim.authorizers.lambda_cache",
    "gatewaysim.authorizers.lambda_config",
    "gatewaysim.authorizers.lambda_events",
    "gatewaysim.authorizers.lambda_invoke",
    "gatewaysim.authorizers.loading",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, item) for item in exported)
    defined = {
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", None) == name
        and value.__name__ == key  # a short alias (``P = PolicyColumn``) is no new name
    }
    assert defined <= exported, f"public but not in __all__: {sorted(defined - exported)}"
