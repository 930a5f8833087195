"""`python -m labs.env.local ACTION` (what scripts/local-cluster runs)."""

import sys

from labs.env.local.cli import main

sys.exit(main())
