"""The ``langchain-compat`` command line.

Each subcommand lives in the module that owns its feature and exposes
``add_arguments(parser)`` and ``run(args) -> int``; this file only routes, and
imports a feature's module only when its subcommand runs (fast ``--help``).
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "local": ("langchain_compat.local.cli",
              "install, start, stop or inspect the embedded local llama-server"),
    "emulate": ("langchain_compat.testing.cli", "run a provider emulator on loopback"),
    "chat": ("langchain_compat.chat_cli", "chat in the terminal with history kept in SQLite"),
    "providers": ("langchain_compat.providers.matrix",
                  "print the capability matrix of every provider"),
}


DESCRIPTION = "The langchain-compat command line: chat, the local model, emulators, provider facts."


def build_parser(*, every_command: bool = False) -> argparse.ArgumentParser:
    """The argument parser; only the chosen subcommand's options are added (fast ``--help``).

    Args:
        every_command: add the options of every subcommand (for checks of the whole CLI).
    """
    parser = argparse.ArgumentParser(prog="langchain-compat", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        description = help_text[0].upper() + help_text[1:] + "."
        sp = sub.add_parser(name, help=help_text, description=description)
        sp.set_defaults(_module=module)
        # only the chosen subcommand's module is imported
        if every_command or name in sys.argv[1:2]:
            importlib.import_module(module).add_arguments(sp)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_module", None):
        parser.print_help()
        return 2
    return int(importlib.import_module(args._module).run(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
