"""Katib's default StdOut metric filters (facts.md), applied the way its collectors apply them."""

import re

V1ALPHA3_FILTER = re.compile(r"([\w|-]+)\s*=\s*((-?\d+)(\.\d+)?)")
V1BETA1_FILTER = re.compile(r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)")


def parse(line: str, pattern: re.Pattern[str]) -> dict[str, float]:
    return {m.group(1): float(m.group(2)) for m in pattern.finditer(line)}


def parse_both(line: str) -> dict[str, float]:
    """Metrics of ``line``; fails the test unless both filters read the same values."""
    old, new = parse(line, V1ALPHA3_FILTER), parse(line, V1BETA1_FILTER)
    assert old == new, f"filters disagree on {line!r}: {old} vs {new}"
    return new
