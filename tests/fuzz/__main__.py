"""``python -m tests.fuzz --count N``: a long random-program campaign (see campaign.py)."""

import sys

from .campaign import main

sys.exit(main())
