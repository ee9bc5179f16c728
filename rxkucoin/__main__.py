"""``python -m rxkucoin``: the same as the ``rxkucoin`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
