"""Rewrite a PyTorch program's source so that it imports chaingrad instead of torch.

The rule is the one the README promises: every *name* ``torch`` in the code becomes ``chaingrad``
(``import torch`` → ``import chaingrad``, ``torch.nn`` → ``chaingrad.nn``, ``from torch.optim
import SGD`` → ``from chaingrad.optim import SGD``). It works on Python tokens, not text, so
identifiers that merely contain the word (``torchvision``, ``my_torch``, ``x.torch``) and string
literals and comments are left alone.

    python examples/pytorch/rename.py program.py > program_chaingrad.py
"""

from __future__ import annotations

import io
import re
import sys
import tokenize

__all__ = ["rename_torch"]


def rename_torch(source: str, new: str = "chaingrad") -> str:
    """Return ``source`` with every code name ``torch`` (not an attribute ``.torch``) renamed."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    hits = []
    strings = []  # f-strings: before Python 3.12 one STRING token, code inside {} included
    previous = None
    for tok in tokens:
        if tok.type == tokenize.STRING and "f" in tok.string.split("'")[0].split('"')[0].lower():
            strings.append(tok)
        if tok.type == tokenize.NAME and tok.string == "torch":
            if not (
                previous is not None and previous.type == tokenize.OP and previous.string == "."
            ):
                hits.append(tok.start)
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            previous = tok
    lines = source.splitlines(keepends=True)
    edits = [(start, start, "torch", new) for start in hits]
    for tok in strings:
        text = _FIELD.sub(lambda m: _NAME.sub(new, m.group(0)), tok.string)
        if text != tok.string:
            edits.append((tok.start, tok.end, tok.string, text))
    # replace from the end so earlier columns on the same line stay valid
    for (row, col), (end_row, _), old, text in sorted(edits, reverse=True):
        tail = "".join(lines[row - 1 : end_row])
        rest = tail[col + len(old) :]
        lines[row - 1 : end_row] = [tail[:col] + text + rest]
    return "".join(lines)


_FIELD = re.compile(r"\{[^{}]*\}")  # a replacement field of an f-string
_NAME = re.compile(r"(?<![\w.])torch(?!\w)")


def main(argv: list[str] | None = None) -> int:
    """Print the renamed source of the file named on the command line."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python rename.py PROGRAM.py", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        sys.stdout.write(rename_torch(f.read()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
