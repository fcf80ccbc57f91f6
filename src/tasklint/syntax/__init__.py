"""AST helpers: pure functions of one parsed tree (names, constant folding, walking).

This layer sits below the project model and imports nothing of tasklint but the base layer
(configuration, findings, reference data).
"""
