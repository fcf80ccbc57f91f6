"""tasklint: a static linter for the pitfalls of Python task queues."""

from __future__ import annotations

__version__ = "0.1.0"
HOMEPAGE = "https://github.com/tasklint/tasklint"

__all__ = ["HOMEPAGE", "__version__"]
