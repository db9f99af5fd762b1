"""gatewaysim: a local emulator of AWS API Gateway's front door."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
