"""`make deploy` calls the AWS CLI as documented (a recording stand-in replaces `aws`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make") or "make"
pytestmark = pytest.mark.slow

RECORDER = """#!/usr/bin/env python3
import json, sys
with open(sys.argv[0] + ".calls", "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
"""


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MAKE, "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"MAKEFLAGS": ""},
    )


def test_deploy_uploads_a_content_addressed_package_and_deploys_the_template(tmp_path):
    aws = tmp_path / "aws"
    aws.write_text(RECORDER)
    aws.chmod(0o755)
    result = make(
        "deploy",
        f"AWS={aws}",
        "CODE_BUCKET=artifacts-bucket",
        "THRESHOLD_DAYS=30",
        "NOTIFICATION_EMAIL=secops@example.com",
        "ENABLE_REMEDIATION=true",
    )
    assert result.returncode == 0, result.stderr
    upload, deploy = (json.loads(line) for line in Path(f"{aws}.calls").read_text().splitlines())
    assert upload[:2] == ["s3", "cp"]
    assert re.fullmatch(r"dist/root-account-usage-[\d.]+\.zip", upload[2])
    key = re.fullmatch(
        r"s3://artifacts-bucket/(root-account-usage/root-account-usage-[\d.]+-[0-9a-f]{16}\.zip)",
        upload[3],
    )
    assert key
    assert deploy[:2] == ["cloudformation", "deploy"]
    assert deploy[deploy.index("--template-file") + 1] == "template.yaml"
    assert "CAPABILITY_IAM" in deploy
    overrides = deploy[deploy.index("--parameter-overrides") + 1 :]
    assert "CodeS3Bucket=artifacts-bucket" in overrides
    assert f"CodeS3Key={key.group(1)}" in overrides
    assert "ThresholdDays=30" in overrides
    assert "NotificationEmail=secops@example.com" in overrides
    assert "EnableRemediation=true" in overrides
    assert "CreateConfigRule=true" in overrides
    assert "MemberRoleName=" in overrides


def test_deploy_without_a_bucket_says_what_is_missing():
    result = make("deploy", "AWS=/bin/false")
    assert result.returncode != 0
    assert "set CODE_BUCKET" in result.stderr
