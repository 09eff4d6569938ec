"""``python -m rtspike`` is the ``rtspike`` command."""

import sys

from rtspike.cli import main

sys.exit(main())
