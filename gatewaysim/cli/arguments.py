"""Flags several sub-commands share, one definition each (``serve`` and ``replay`` read templates)."""

from __future__ import annotations

import argparse

__all__ = ["add_parameter_overrides", "parameter_override", "parameters_of"]


def parameter_override(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` or SAM's ``ParameterKey=KEY,ParameterValue=VALUE``."""
    if text.startswith("ParameterKey="):
        key, _, value = text.removeprefix("ParameterKey=").partition(",ParameterValue=")
    else:
        key, _, value = text.partition("=")
    if not key or "=" not in text:
        raise argparse.ArgumentTypeError(f"`{text}` is not KEY=VALUE")
    return key, value


def add_parameter_overrides(parser: argparse.ArgumentParser, what: str) -> None:
    """``--parameter-overrides KEY=VALUE ...`` into ``args.parameters`` (``what``: the file it is for)."""
    parser.add_argument(
        "--parameter-overrides",
        dest="parameters",
        nargs="+",
        type=parameter_override,
        metavar="KEY=VALUE",
        help=f"{what} parameters and stand-ins, like sam's (`Stage=dev AuthFn.Arn=arn:...`)",
    )


def parameters_of(args: argparse.Namespace) -> dict[str, str] | None:
    """The overrides given (the last of a repeated key wins), None when there are none."""
    given: list[tuple[str, str]] | None = args.parameters
    return dict(given) if given else None
