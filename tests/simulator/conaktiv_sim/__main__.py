"""`python -m conaktiv_sim <command>`."""

import sys

from .cli import main

sys.exit(main())
