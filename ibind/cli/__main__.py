"""``python -m ibind.cli``: the same as the ``ibind`` command."""

from ibind.cli import main

raise SystemExit(main())
