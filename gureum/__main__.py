"""`python -m gureum ...` is the `gureum` command."""

import sys

from gureum.cli import main

sys.exit(main())
