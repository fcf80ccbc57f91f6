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
    tools' codes are left alone. When a comment lists several codes and only some suppress
    nothing, the message names the codes to remove and the ones to keep.

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
    message = "Unused suppression: {what} suppresses nothing here; {fix}"

    @staticmethod
    def describe(dead: list[str], listed: list[str]) -> dict[str, str]:
        """Message fields for the unused codes ``dead`` of a comment that lists ``listed``:
        the whole comment goes when every code is unused, else only the unused codes."""
        kept = [c for c in listed if c not in dead]
        if not kept:
            return {"what": f"`# noqa: {', '.join(dead)}`", "fix": "remove the comment"}
        names = ", ".join(f"`{c}`" for c in dead)
        return {
            "what": f"{names} in `# noqa: {', '.join(listed)}`",
            "fix": f"remove {names} from the comment and keep {', '.join(f'`{c}`' for c in kept)}",
        }
