"""``python -m chaingrad``: the same as the ``chaingrad`` command."""

from chaingrad.nn.app.cli import main

raise SystemExit(main())
