"""``python -m gatewaysim``."""

from __future__ import annotations

from gatewaysim.cli import main

raise SystemExit(main())
