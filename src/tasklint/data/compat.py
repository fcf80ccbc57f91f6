"""What differs between the Pythons tasklint runs on (3.9 and later)."""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 10):
    from dataclasses import dataclass
else:  # Python 3.9 has no ``slots=``: the classes keep a ``__dict__`` there (more memory)
    from dataclasses import dataclass as _dataclass

    def dataclass(*args: Any, slots: bool = False, **kwargs: Any) -> Any:
        return _dataclass(*args, **kwargs)


__all__ = ["dataclass"]
