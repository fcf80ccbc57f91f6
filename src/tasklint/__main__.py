"""``python -m tasklint``.

``-m`` puts the working directory first on ``sys.path``: run inside a repository, the
repository's own ``json.py`` or ``argparse.py`` would be imported instead of the standard
library's (and run). The entry is dropped before anything else is imported, as pip does;
``tasklint/__init__.py`` does it already (it runs first); this covers ``runpy``
running this file directly.
"""

from __future__ import annotations

import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd()) and not getattr(sys.flags, "safe_path", False):
    sys.path.pop(0)

from tasklint.cli import main

if __name__ == "__main__":
    sys.exit(main())
