"""tasklint: a static linter for the pitfalls of Python task queues."""

# No ``from __future__`` import here: it is a real import, and this file runs first under
# ``python -m tasklint``, while the working directory (the repository being checked, with
# perhaps its own ``__future__.py`` or ``json.py``) is still first on ``sys.path``.
import sys as _sys

if _sys.argv[:1] == ["-m"]:
    import os as _os  # loaded at interpreter start-up, never from the path

    if (
        _sys.path
        and _sys.path[0] in ("", _os.getcwd())
        and not getattr(_sys.flags, "safe_path", False)
    ):
        del _sys.path[0]

__version__ = "0.1.0"
HOMEPAGE = "https://github.com/tasklint/tasklint"

_BUILD_ID: list[str] = []


def build_id() -> str:
    """The version plus the size and mtime of every module of this installation: a cache
    written by other code (an editable install that changed, a reinstall) is never reused."""
    if not _BUILD_ID:
        import hashlib
        import os

        h = hashlib.blake2b(__version__.encode(), digest_size=8)
        here = os.path.dirname(os.path.abspath(__file__))
        for directory, dirs, files in os.walk(here):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(directory, name))
                    rel = os.path.relpath(os.path.join(directory, name), here)
                    h.update(f"{rel}:{st.st_size}:{st.st_mtime_ns};".encode())
        _BUILD_ID.append(h.hexdigest())
    return _BUILD_ID[0]


__all__ = ["HOMEPAGE", "__version__", "build_id"]
