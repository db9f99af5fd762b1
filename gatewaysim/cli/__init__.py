"""The command line: ``main(argv) -> exit code`` and one thin module per sub-command.

``main`` (the ``gatewaysim`` console script) parses the arguments and runs one row of
``COMMANDS``; each sub-command module (``serve``, ``simulate``, ``check``, ``test``, ``policy`` ...)
adds its flags and calls a library function of a lower room. Nothing below imports this room.
"""

from __future__ import annotations

from gatewaysim.cli.main import COMMANDS, Command, main

__all__ = ["COMMANDS", "Command", "main"]
