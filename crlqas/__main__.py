"""``python -m crlqas``: the ``crlqas`` command line."""

import sys

from crlqas.cli import main

sys.exit(main())
