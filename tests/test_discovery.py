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


def test_namespace_portion_inside_a_package_keeps_the_package_prefix(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "pkg/__init__.py",
        "pkg/importers/__init__.py",
        "pkg/importers/jira/tasks.py",
        "pkg/importers/deep/er/tasks.py",
        "pkg/importers/too/deep/er/tasks.py",
        "scripts/tasks.py",
        "manage.py",
    )
    assert module_name_for(tmp_path / "pkg/importers/jira/tasks.py") == (
        "pkg.importers.jira.tasks",
        False,
    )
    assert module_name_for(tmp_path / "pkg/importers/deep/er/tasks.py") == (
        "pkg.importers.deep.er.tasks",
        False,
    )
    # Python imports plain folders inside a regular package as namespace subpackages
    assert module_name_for(tmp_path / "pkg/importers/too/deep/er/tasks.py") == (
        "pkg.importers.too.deep.er.tasks",
        False,
    )
    assert module_name_for(tmp_path / "scripts/tasks.py") == ("tasks", False)
    assert module_name_for(tmp_path / "manage.py") == ("manage", False)
    assert module_name_for(tmp_path / "pkg/importers/__init__.py") == ("pkg.importers", True)


def test_script_named_like_a_library_does_not_shadow_it(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "pyproject.toml",
        "docker/settings/celery.py",
        "docker/settings/web.py",
        "celery.py",
        "pkg/__init__.py",
        "pkg/celery.py",
    )
    assert module_name_for(tmp_path / "docker/settings/celery.py") == (
        "docker.settings.celery",
        False,
    )
    assert module_name_for(tmp_path / "docker/settings/web.py") == ("web", False)
    assert module_name_for(tmp_path / "pkg/celery.py") == ("pkg.celery", False)
    # at the project root there is no better name
    assert module_name_for(tmp_path / "celery.py") == ("celery", False)


def test_repository_root_with_an_init_file_is_not_part_of_module_names(tmp_path: Path) -> None:
    root = tmp_path / "mayan"
    _touch(root, "setup.py", "__init__.py", "mayan/__init__.py", "mayan/celery.py", "manage.py")
    (root / "setup.py").write_text("from setuptools import setup\n\nsetup(name='mayan')\n")
    assert module_name_for(root / "mayan/celery.py") == ("mayan.celery", False)
    assert module_name_for(root / "mayan/__init__.py") == ("mayan", True)
    assert module_name_for(root / "manage.py") == ("manage", False)
    # the root's own __init__.py claims no package name (it would hide mayan/__init__.py)
    assert module_name_for(root / "__init__.py") == ("__init__", False)


def test_setup_module_inside_a_package_marks_no_root(tmp_path: Path) -> None:
    """``bookwyrm/views/setup.py`` is a view, not a project marker: the modules beside it
    keep their package names (seen in bookwyrm, where every view became a top-level module)."""
    from tasklint.project.discovery import clear_caches, module_name_for

    (tmp_path / ".git").mkdir()
    views = tmp_path / "app" / "views"
    views.mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (views / "__init__.py").write_text("")
    (views / "setup.py").write_text("def setup(request):\n    return None\n")
    (views / "feed.py").write_text("x = 1\n")
    clear_caches()
    assert module_name_for(views / "feed.py") == ("app.views.feed", False)
    # a real setup script beside a package's __init__.py still marks a root
    (views / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    clear_caches()
    assert module_name_for(views / "feed.py") == ("feed", False)
