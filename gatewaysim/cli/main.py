"""The ``gatewaysim`` command: ``main(argv) -> exit code``.

Sub-commands live in ``COMMANDS``, one row each: a help line, a function adding its flags and a
function running it (``run(args, out) -> int``), each a thin shell over a library call. An error
prints one line per problem (``gatewaysim: config `x.yaml`: api.port: ...``), never a traceback,
and exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TextIO

from gatewaysim import __version__
from gatewaysim.errors import GatewaysimError
from gatewaysim.suggest import did_you_mean

__all__ = ["COMMANDS", "Command", "build_parser", "main", "unknown_command"]

ERROR_EXIT: Final = 2


@dataclass(frozen=True, slots=True)
class Command:
    """One sub-command: help text and the module (``gatewaysim.cli.<module>``) that adds its flags
    (``add_arguments(parser)``) and runs it (``run(args, out) -> int``). The module is imported only
    when its command runs or its flags are shown, so ``gatewaysim serve`` loads nothing of
    ``replay`` or ``check``."""

    help: str
    module: str

    @property
    def add_arguments(self) -> Callable[[argparse.ArgumentParser], None]:
        """The module's ``add_arguments``."""
        return importlib.import_module(f"gatewaysim.cli.{self.module}").add_arguments  # type: ignore[no-any-return]

    @property
    def run(self) -> Callable[[argparse.Namespace, TextIO], int]:
        """The module's ``run``."""
        return importlib.import_module(f"gatewaysim.cli.{self.module}").run  # type: ignore[no-any-return]


# The sub-commands, in the order `--help` lists them.
COMMANDS: Final[dict[str, Command]] = {
    "init": Command("write a starter config, policy and scenario file here", "init"),
    "serve": Command("run the gateway in front of a backend", "serve"),
    "simulate": Command("evaluate requests against a policy, no server", "simulate"),
    "check": Command("lint resource policies against their API", "check"),
    "test": Command("check scenario files against a policy or a gateway", "test"),
    "tail": Command("follow a running gateway's requests, the reason on every refusal", "tail"),
    "explain": Command("tell why one request was answered as it was", "explain"),
    "policy": Command("get, put, delete or list a gateway's resource policies", "policy"),
    "keys": Command("list a gateway's API keys and the quota each has left", "keys"),
    "replay": Command("which recorded requests would a candidate policy decide differently", "replay"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``gatewaysim`` argument parser: one sub-parser a row of ``COMMANDS``.

    ``only`` names the one command whose flags are added (its module is imported); the others
    are listed with their help line. ``None`` adds every command's flags.
    """
    parser = argparse.ArgumentParser(prog="gatewaysim", description="A local emulator of AWS API Gateway's front door.")
    parser.add_argument("--version", action="version", version=f"gatewaysim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(name, help=command.help, description=command.help)
        if only is None or name == only:
            command.add_arguments(sub)
    return parser


def _command_word(argv: Sequence[str]) -> str:
    """The sub-command ``argv`` names: its first word that is not an option ("" when none)."""
    return next((word for word in argv if not word.startswith("-")), "")


def _verbs(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """A parser's sub-commands by name (empty when it has none)."""
    for action in parser._actions:  # argparse keeps its sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def unknown_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """``unknown command `simulat` (did you mean `simulate`?)`` for a misspelt (sub-)command, else None.

    Walks the words that name commands (``policy get``): every option before them takes no value.
    """
    said: list[str] = []
    for word in argv:
        verbs = _verbs(parser)
        if not verbs:
            return None
        if word.startswith("-"):
            if word in ("-h", "--help", "--version"):
                return None
            continue
        if word not in verbs:
            hint = did_you_mean(word, verbs) or f" (commands: {', '.join(verbs)})"
            return f"unknown command `{' '.join([*said, word])}`{hint}"
        said.append(word)
        parser = verbs[word]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_command_word(argv))
    unknown = unknown_command(parser, argv)
    if unknown is not None:
        print(f"gatewaysim: {unknown}", file=sys.stderr)
        return ERROR_EXIT
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or a usage error (already printed)
        return exc.code if isinstance(exc.code, int) else ERROR_EXIT
    if args.command is None:
        parser.print_help(sys.stderr)
        return ERROR_EXIT
    args.argv = argv[argv.index(args.command) + 1 :]  # the command's own words (serve's workers repeat them)
    try:
        return COMMANDS[args.command].run(args, sys.stdout)
    except GatewaysimError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"gatewaysim: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
