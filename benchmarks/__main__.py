"""``python -m benchmarks``: the whole suite, side by side with PyTorch and micrograd."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.suite import (
    WORKLOADS,
    markdown_table,
    replace_between_markers,
    run,
    text_table,
    to_json,
)


def main(argv: list[str] | None = None) -> int:
    """Run the suite and print (and optionally save) its table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="workloads whose names start with these: " + ", ".join(w.name for w in WORKLOADS),
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions and smaller sizes (a few minutes)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write every timing as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table as Markdown")
    parser.add_argument(
        "--readme",
        metavar="PATH",
        help="replace the table between the benchmark markers of this README with this run's",
    )
    args = parser.parse_args(argv)
    try:
        report = run(args.only, args.quick, log=lambda line: print(line, file=sys.stderr))
    except ValueError as error:
        parser.error(str(error))
    print(text_table(report))
    if args.json:
        Path(args.json).write_text(to_json(report))
    if args.markdown:
        Path(args.markdown).write_text(markdown_table(report) + "\n")
    if args.readme:
        readme = Path(args.readme)
        readme.write_text(replace_between_markers(readme.read_text(), markdown_table(report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
