"""``python -m kmipd`` runs the command line."""

import sys

from kmipd.cli import main

sys.exit(main())
