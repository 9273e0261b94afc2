"""Image build helper: print pyproject.toml's [project] dependencies, one per line.

Runs on the base image's Python before the trainer is installed, so it needs nothing beyond
the standard library and works on Pythons older than 3.11 (no tomllib there, e.g. the seed
image's 3.8): it then reads the one list it needs by pattern. Environment markers are kept;
pip evaluates them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def dependencies(text: str) -> list[str]:
    try:
        import tomllib  # novermin: Python >= 3.11; older ones take the pattern below
    except ImportError:
        block = re.search(r"^dependencies\s*=\s*\[(.*?)^\]", text, re.S | re.M)
        if block is None:
            raise SystemExit("pyproject.toml: no [project] dependencies list") from None
        return re.findall(r'"([^"]+)"', block.group(1))
    deps: list[str] = tomllib.loads(text)["project"]["dependencies"]
    return deps


if __name__ == "__main__":
    print("\n".join(dependencies(Path(sys.argv[1]).read_text(encoding="utf-8"))))
