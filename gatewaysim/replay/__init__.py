"""Replay recorded decisions against a candidate policy: what would it change, and why?

``sources`` reads decision events (version 2) from a running gateway's ring or a decisions file;
``events`` turns each into what deciding it again needs; ``candidate`` loads the policy to try
from any file a policy comes from; ``run`` decides every request again with the same engine and
the same workflow as the gateway (``gateway.authorize.redecide``) and groups what changes;
``parallel`` does it on every CPU for a large file; ``ask`` puts one replay together; ``report``
renders the groups. ``gatewaysim replay`` (``cli.replay``) is a thin shell over ``ask``.

The room sits beside ``scenarios`` (layer 6): it reads what the gateway recorded and re-uses the
gateway's authorization workflow, and only the command line sits above it.
"""

from __future__ import annotations

from gatewaysim.replay.ask import Ask, replay_file, replay_gateway
from gatewaysim.replay.candidate import load_candidate
from gatewaysim.replay.events import Replayable, read_event
from gatewaysim.replay.run import ReplayReport, replay, select_api, shadow_report
from gatewaysim.replay.sources import from_file, from_gateway, since

__all__ = [
    "Ask",
    "ReplayReport",
    "Replayable",
    "from_file",
    "from_gateway",
    "load_candidate",
    "read_event",
    "replay",
    "replay_file",
    "replay_gateway",
    "select_api",
    "shadow_report",
    "since",
]
