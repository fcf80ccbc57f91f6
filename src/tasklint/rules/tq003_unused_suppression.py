"""TQ003: a ``# noqa: TQ###`` comment that suppresses nothing."""

from __future__ import annotations

from tasklint.rules._base import Rule, register


@register
class UnusedSuppression(Rule):
    """
    ## What it does
    Reports a `# noqa: TQ###` comment (in the `tasklint` CLI) whose TQ codes suppress no
    finding on that line — the problem was fixed, the code moved, or the code is wrong.
    Only codes of rules that are enabled are considered; a blanket `# noqa` and other
    tools' codes are left alone.

    ## Why is this bad?
    A stale suppression hides the next real finding on that line and tells readers
    there is a problem where there is none.

    ## Example
    ```python
    def total(items):
        return sum(items)  # noqa: TQ201
    ```

    Use instead:
    ```python
    def total(items):
        return sum(items)
    ```

    ## Fix safety
    Fix: safe. `--fix` removes the codes that suppress nothing from the comment (other codes
    stay; a comment left with no code goes, and so does a line that held only it).

    ## Options
    Opt-in: enable with `extend-select = ["TQ003"]`.

    ## Known limitations
    flake8 has no equivalent hook, so this rule runs in the CLI only.

    ## References
    - flake8 `noqa`: https://flake8.pycqa.org/en/latest/user/violations.html#in-line-ignoring-errors
    - ruff RUF100 (the same idea): https://docs.astral.sh/ruff/rules/unused-noqa/
    """

    code = "TQ003"
    name = "unused-suppression"
    default = False
    message = "Unused suppression: `# noqa: {codes}` suppresses nothing here; remove it"
