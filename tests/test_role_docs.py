"""Each role's README documents exactly the variables the role takes.

The README's `| Variable | Default | Meaning |` table has one row per variable,
its first cell the name alone in backticks; the variables are the options of
every entry point in meta/argument_specs.yml and the keys of defaults/main.yml.
A variable added, renamed or removed without its row fails here.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ROLES = sorted(path for path in (ROOT / "roles").iterdir() if path.is_dir())
HEADER = "| Variable | Default | Meaning |"
ROW = re.compile(r"\| `(\w+)` \|")


def role_variables(role: Path) -> set[str]:
    """The options of each entry point, and the role's defaults."""
    variables: set[str] = set()
    specs = role / "meta/argument_specs.yml"
    if specs.exists():
        for entry_point in yaml.safe_load(specs.read_text())["argument_specs"].values():
            variables.update(entry_point.get("options") or {})
    defaults = role / "defaults/main.yml"
    if defaults.exists():
        variables.update(yaml.safe_load(defaults.read_text()) or {})
    return variables


def table_rows(readme: Path) -> list[str]:
    """The body rows of the README's variables table."""
    lines = readme.read_text().splitlines()
    assert HEADER in lines, f"{readme.relative_to(ROOT)} has no `{HEADER}` table"
    rows = []
    for line in lines[lines.index(HEADER) + 2 :]:  # past the header and its |---| line
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.name)
def test_readme_table_lists_every_variable(role: Path) -> None:
    readme = role / "README.md"
    rows = table_rows(readme)
    unnamed = [row for row in rows if not ROW.match(row)]
    assert not unnamed, f"{readme.relative_to(ROOT)}: rows not naming one variable: {unnamed}"
    documented = [match.group(1) for row in rows if (match := ROW.match(row))]
    repeated = sorted(name for name, count in Counter(documented).items() if count > 1)
    assert not repeated, f"{readme.relative_to(ROOT)}: rows repeated: {repeated}"
    variables = role_variables(role)
    missing = sorted(variables - set(documented))
    unknown = sorted(set(documented) - variables)
    assert set(documented) == variables, (
        f"{readme.relative_to(ROOT)}: no row for {missing}; rows for no such variable: {unknown}"
    )
