"""Run the engine on fixtures the way a user would (one file, or a whole project folder)."""

from __future__ import annotations

from pathlib import Path

from tasklint.config import Settings, load_settings, parse_settings
from tasklint.engine import lint_paths
from tasklint.findings import Finding

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
RULE_FIXTURES = FIXTURES / "rules"
PROJECT_FIXTURES = FIXTURES / "projects"


def single_file_fixtures() -> list[Path]:
    return sorted(RULE_FIXTURES.glob("*.py"))


def project_fixtures() -> list[Path]:
    return (
        sorted(p for p in PROJECT_FIXTURES.iterdir() if p.is_dir())
        if PROJECT_FIXTURES.exists()
        else []
    )


def lint_single(path: Path, config: dict[str, object], codes: set[str]) -> list[Finding]:
    """Lint one fixture file as a one-file project, running the rules it annotates."""
    settings = parse_settings(config, "fixture") if config else Settings()
    settings = settings.with_overrides(select=tuple(sorted(codes)))
    result = lint_paths(
        [path], settings, use_cache=False, base=path.parent, root=path.parent, project_files=[path]
    )
    return result.findings


def lint_project(folder: Path, codes: set[str]) -> list[Finding]:
    """Lint a project fixture folder with its own pyproject, running the rules it annotates."""
    settings = load_settings(folder)
    if settings.select is None:
        settings = settings.with_overrides(select=tuple(sorted(codes)))
    result = lint_paths([folder], settings, use_cache=False, base=folder, root=folder)
    return result.findings
