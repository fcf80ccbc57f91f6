"""Module names from the file system (tasklint.project.discovery.module_name_for)."""

from __future__ import annotations

from pathlib import Path

from tasklint.project.discovery import module_name_for


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")


def test_regular_packages(tmp_path: Path) -> None:
    _touch(tmp_path, "src/shop/__init__.py", "src/shop/tasks.py", "script.py")
    assert module_name_for(tmp_path / "src/shop/tasks.py") == ("shop.tasks", False)
    assert module_name_for(tmp_path / "src/shop/__init__.py") == ("shop", True)
    assert module_name_for(tmp_path / "script.py") == ("script", False)


def test_namespace_subpackages_inside_a_package(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "src/shop/__init__.py",
        "src/shop/worker/arq.py",
        "src/shop/a/b/jobs.py",
        "src/shop/worker/sub/__init__.py",
    )
    assert module_name_for(tmp_path / "src/shop/worker/arq.py") == ("shop.worker.arq", False)
    assert module_name_for(tmp_path / "src/shop/a/b/jobs.py") == ("shop.a.b.jobs", False)
    assert module_name_for(tmp_path / "src/shop/worker/sub/__init__.py") == (
        "shop.worker.sub",
        True,
    )


def test_directories_without_any_package_stay_roots(tmp_path: Path) -> None:
    _touch(tmp_path, "scripts/tools/run.py", "my-dir/shop/__init__.py", "my-dir/shop/x.py")
    assert module_name_for(tmp_path / "scripts/tools/run.py") == ("run", False)
    assert module_name_for(tmp_path / "my-dir/shop/x.py") == ("shop.x", False)
