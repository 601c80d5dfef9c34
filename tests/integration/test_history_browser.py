"""The evidence page renders in a real headless browser (Chromium from Debian)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from root_account_usage.cli.main import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed: run `make browser`"),
]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_evidence_page_renders_with_its_chart(tmp_path):
    page = tmp_path / "evidence.html"
    assert main(["history", "--demo", "--format", "html", "--output", str(page)]) == 0
    dom = chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    # The browser parsed the page into a DOM holding the chart and the tables.
    assert "<svg" in dom.stdout
    assert dom.stdout.count('class="seg"') >= 3
    assert "Root account usage: compliance evidence" in dom.stdout
    shot = tmp_path / "evidence.png"
    result = chromium(
        tmp_path / "profile", "--window-size=1100,1400", f"--screenshot={shot}", page.as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a drawn page, not a blank one


def test_organization_evidence_page_renders_its_summary_first(tmp_path):
    page = tmp_path / "organization.html"
    args = ["history", "--demo", "organization", "--format", "html", "--output", str(page)]
    assert main(args) == 0
    dom = chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    summary = dom.stdout.index("<h2>Summary</h2>")
    assert summary < dom.stdout.index('class="account"')
    assert dom.stdout.count('class="seg"') >= 6
    # The account that could not be read is a row of the table, not only a count.
    table = dom.stdout.split('class="summary"')[1].split("</table>")[0]
    assert "<td>444444444444</td>" in table
    # 222222222222 turned non-compliant minutes before the end: its bar ends red.
    chart = dom.stdout.split("Account 222222222222")[1].split("</svg>")[0]
    assert chart.rsplit('class="seg"', 1)[1].startswith(' data-state="NON_COMPLIANT"')
