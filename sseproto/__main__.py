"""``python -m sseproto``: see :mod:`sseproto.cli`."""

import sys

from .cli import main

sys.exit(main())
