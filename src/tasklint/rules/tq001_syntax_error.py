"""TQ001: a file that cannot be read or parsed."""

from __future__ import annotations

from tasklint.rules._base import Rule, register


@register
class SyntaxErrorRule(Rule):
    """
    ## What it does
    Reports a Python file that tasklint cannot read (bad encoding, unreadable) or parse
    (syntax error), instead of failing the whole run.

    ## Why is this bad?
    A file that does not parse is not checked at all: every other rule is silent on it.
    flake8 reports the same problem as E999, so in the flake8 plugin this rule stays quiet.

    ## Example
    ```python
    def broken(:
        pass
    ```

    Use instead:
    ```python
    def fixed():
        pass
    ```

    ## Options
    None.

    ## Known limitations
    Syntax newer than the Python tasklint runs on (3.12 type parameters and `type`
    statements, nested same-quote f-strings, 3.14 `except A, B:`, t-strings, and on older
    interpreters `match`, `except*` and star annotations) is parsed with libcst and lowered,
    line for line, to code the running Python reads; only code no Python accepts is
    reported. Without libcst installed (it is a dependency below Python 3.14), such files
    are reported here. The text of an f-string that needs lowering and cannot be re-quoted
    is not seen (its expressions are), and names on a `type X = ...` line are reported 5
    columns to the left.

    ## References
    - Python: https://docs.python.org/3/reference/grammar.html
    - flake8 (E999): https://flake8.pycqa.org/en/latest/user/error-codes.html
    """

    code = "TQ001"
    name = "syntax-error"
    severity = "error"
    message = "Cannot check this file: {reason}"
