"""Fact collectors: each module registers one with ``@register_collector`` (imported here)."""

from __future__ import annotations
