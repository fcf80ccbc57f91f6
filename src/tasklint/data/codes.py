"""The rule codes, for validating configuration without importing the rule registry.

``tests/test_layers.py`` checks that this table equals the registry.
"""

from __future__ import annotations

RULE_CODES: frozenset[str] = frozenset(
    {
        "TQ001",
        "TQ002",
        "TQ003",
        "TQ101",
        "TQ102",
        "TQ103",
        "TQ104",
        "TQ105",
        "TQ106",
        "TQ107",
        "TQ108",
        "TQ109",
        "TQ110",
        "TQ111",
        "TQ112",
        "TQ201",
        "TQ202",
        "TQ203",
        "TQ204",
        "TQ205",
        "TQ206",
        "TQ207",
        "TQ208",
        "TQ209",
        "TQ210",
        "TQ211",
        "TQ212",
        "TQ213",
        "TQ301",
        "TQ302",
        "TQ401",
        "TQ501",
        "TQ502",
        "TQ503",
        "TQ504",
        "TQ505",
        "TQ506",
        "TQ507",
        "TQ508",
        "TQ509",
        "TQ510",
        "TQ511",
        "TQ601",
        "TQ602",
        "TQ603",
        "TQ604",
    }
)

# The rules that run only when selected by their full code (``Rule.default`` is False): a
# run can tell which rules are on without importing them (a warm run never does).
OPT_IN_CODES: frozenset[str] = frozenset({"TQ003", "TQ106", "TQ107", "TQ111"})
