"""The ``chaingrad`` command line: parses arguments and calls the functions that do the work."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog.split()[0]} --help)\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The parser for every ``chaingrad`` command."""
    parser = _Parser(
        prog="chaingrad", description="chaingrad: backprop you can read, speed you can use."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    demo = commands.add_parser(
        "demo",
        help="the lecture notes' two-layer sigmoid network, forward and backward, drawn as SVG",
        description="Run the lecture notes' two-layer sigmoid network example with Values, "
        "print its forward values and gradients, and write its graph as SVG.",
    )
    demo.add_argument(
        "--out", default="runs/demo", help="folder for graph.svg (default: runs/demo)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chaingrad`` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from nn.demo import run_demo

        print(run_demo(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
