"""TQ002: a rule raised while checking a file."""

from __future__ import annotations

from tasklint.rules._base import Rule, register


@register
class InternalErrorRule(Rule):
    """
    ## What it does
    Reports that one of tasklint's rules failed on this file (a bug in tasklint, or a
    configuration that cannot be applied). The run goes on: other rules and other files
    are still checked.

    ## Why is this bad?
    The failing rule did not check this file, so its findings here may be missing. Please
    report the message (it names the rule and the exception) to the tasklint developers.

    ## Example
    There is no code pattern that triggers this rule on purpose.

    ## Options
    None.

    ## Known limitations
    A rule that fails in the project-wide pass (not on one file) is reported on line 1 of
    the first file of the project. flake8 reports the configuration errors it meets as this
    code on line 1 of each checked file.

    ## References
    - Report it: https://github.com/tasklint/tasklint/issues
    """

    code = "TQ002"
    name = "internal-error"
    severity = "error"
    message = (
        "tasklint {what} failed on this file ({error}); findings may be missing, please report it"
    )
