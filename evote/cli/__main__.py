"""``python -m evote.cli``: the same as the ``evote`` command."""

import sys

from evote.cli import main

sys.exit(main())
