"""Run every example with torch and renamed to chaingrad, and print a comparison table.

python examples/pytorch/compare.py [program ...]
"""

from __future__ import annotations

import sys

from harness import PROGRAMS, run_program


def _fmt(value: float | None, spec: str = ".4g") -> str:
    return "-" if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    """Print program, torch loss, chaingrad loss, both seconds per step and their ratio."""
    programs = (sys.argv[1:] if argv is None else argv) or PROGRAMS
    header = f"{'program':<18} {'torch loss':>11} {'cg loss':>11} {'torch s/step':>13} "
    header += f"{'cg s/step':>11} {'ratio':>7}  note"
    print(header)
    print("-" * len(header))
    failures = 0
    for name in programs:
        runs = {lib: run_program(name, lib) for lib in ("torch", "chaingrad")}
        t, c = runs["torch"], runs["chaingrad"]
        ts, cs = t.result.get("seconds_per_step"), c.result.get("seconds_per_step")
        ratio = cs / ts if ts and cs else None
        note = "" if t.ok and c.ok else (c.error() if t.ok else "torch: " + t.error())
        failures += not (t.ok and c.ok)
        print(
            f"{name:<18} {_fmt(t.result.get('loss')):>11} {_fmt(c.result.get('loss')):>11} "
            f"{_fmt(ts, '.2e'):>13} {_fmt(cs, '.2e'):>11} {_fmt(ratio, '.1f'):>7}  {note[:90]}"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
