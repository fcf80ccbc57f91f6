from __future__ import annotations

import sys

from tasklint.cli import main

if __name__ == "__main__":
    sys.exit(main())
