"""Write the credential-removal script into its SSM Automation document.

rdk_config/root-credentials-removal.yaml embeds
ROOT_ACCOUNT_USAGE/root_account_usage/remediation/remove_root_credentials.py verbatim as
the `Script` of its aws:executeScript step, so that the code that runs is the code the
tests run. Edit the module, then run `python tools/embed_remediation_script.py`;
tests/contract/test_remediation_template.py fails while the two differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "ROOT_ACCOUNT_USAGE/root_account_usage/remediation/remove_root_credentials.py"
TEMPLATE = ROOT / "rdk_config/root-credentials-removal.yaml"
MARKER = "Script: |-"


def embedded(template: str, script: str) -> str:
    """`template` with the block after its `Script: |-` line replaced by `script`."""
    lines = template.splitlines()
    [start] = [number for number, line in enumerate(lines) if line.strip() == MARKER]
    indent = " " * (len(lines[start]) - len(lines[start].lstrip()) + 2)
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith(indent)):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # blank lines before the next key belong to the template
    block = [indent + line if line else "" for line in script.rstrip("\n").splitlines()]
    return "\n".join([*lines[: start + 1], *block, *lines[end:]]) + "\n"


def main() -> int:
    updated = embedded(TEMPLATE.read_text(), MODULE.read_text())
    if updated == TEMPLATE.read_text():
        print(f"{TEMPLATE.relative_to(ROOT)} already embeds the script")
        return 0
    TEMPLATE.write_text(updated)
    print(f"wrote the script into {TEMPLATE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
