"""`python -m flowstead …`: the same as the `flowstead` command."""

import sys

from flowstead.cli import main

sys.exit(main())
