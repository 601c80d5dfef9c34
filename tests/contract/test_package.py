"""The Lambda package: contents, reproducibility, and a run as the runtime would do it."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import boto3
import pytest

from root_account_usage.simulation.credential_report import RootUse, root_in_credential_report
from root_account_usage.simulation.events import periodic_event
from tests.lambda_runtime import run_handler, runtime_path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import package_lambda  # noqa: E402 - a script folder, not a package

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return package_lambda.build(tmp_path_factory.mktemp("dist"), "0.0.0-test")


def test_package_holds_handler_package_and_rdklib_only(package):
    names = zipfile.ZipFile(package).namelist()
    assert "ROOT_ACCOUNT_USAGE.py" in names
    assert "root_account_usage/rule/evaluation.py" in names
    assert "root_account_usage/core/verdict.py" in names
    assert "rdklib/__init__.py" in names
    assert "rdklib/LICENSE" in names
    package_folders = {
        PurePosixPath(name).parts[1]
        for name in names
        if name.startswith("root_account_usage/") and len(PurePosixPath(name).parts) > 2
    }
    assert package_folders == {"core", "rule", "__pycache__"}  # no cli: no progress bar
    for name in names:
        assert not name.startswith(("boto3/", "botocore/", "tests/", "moto/", "tqdm/", "rich/"))
        assert not name.endswith(("_test.py", "__main__.py"))
    assert package.stat().st_size < 1_000_000


def test_a_file_git_does_not_track_never_ships(tmp_path):
    stray = ROOT / "ROOT_ACCOUNT_USAGE" / "root_account_usage" / "rule" / "zz_untracked_probe.py"
    assert not stray.exists()
    stray.write_text("raise SystemExit('an untracked file was shipped')\n")
    try:
        names = zipfile.ZipFile(package_lambda.build(tmp_path, "0.0.0-test")).namelist()
    finally:
        stray.unlink()
    assert "root_account_usage/rule/zz_untracked_probe.py" not in names
    assert "root_account_usage/rule/evaluation.py" in names


@pytest.mark.skipif(sys.implementation.cache_tag != "cpython-313", reason="bytecode is 3.13's")
def test_package_ships_checked_bytecode_for_each_module_and_nothing_else(package):
    archive = zipfile.ZipFile(package)
    sources = {n for n in archive.namelist() if n.endswith(".py")}
    compiled = {n for n in archive.namelist() if n.endswith(".pyc")}
    expected = {
        str(PurePosixPath(n).parent / "__pycache__" / f"{PurePosixPath(n).stem}.cpython-313.pyc")
        for n in sources
    }
    assert compiled == expected
    for name in compiled:
        flags = int.from_bytes(archive.read(name)[4:8], "little")
        assert flags == 0b11  # PEP 552: hash-based (no timestamps), checked against the source


EDITED_RUN = """
import sys
sys.path.insert(0, sys.argv[1])
sys.dont_write_bytecode = True  # /var/task is read-only in Lambda
from root_account_usage.core import verdict
print(verdict.NON_COMPLIANT)
"""


@pytest.mark.skipif(sys.implementation.cache_tag != "cpython-313", reason="bytecode is 3.13's")
def test_a_source_edited_after_packaging_runs_as_edited(package, tmp_path):
    # As in the Lambda console: the shipped bytecode must not hide the edit.
    code_dir = tmp_path / "task"
    zipfile.ZipFile(package).extractall(code_dir)
    source = code_dir / "root_account_usage" / "core" / "verdict.py"
    source.write_text(
        source.read_text().replace('NON_COMPLIANT = "NON_COMPLIANT"', 'NON_COMPLIANT = "EDITED"')
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", EDITED_RUN, str(code_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "EDITED"


def test_package_is_byte_for_byte_reproducible(package, tmp_path):
    again = package_lambda.build(tmp_path, "0.0.0-test")
    assert (
        hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(package.read_bytes()).digest()
    )


def test_unzipped_package_handles_a_periodic_event_with_only_boto3(package, tmp_path, moto_server):
    code_dir = tmp_path / "task"
    zipfile.ZipFile(package).extractall(code_dir)
    now = datetime.now(UTC).replace(microsecond=0)
    environment = {
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "LOG_LEVEL": "WARNING",
    }
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto_server)
    iam.create_user(UserName="alice")
    iam.generate_credential_report()
    event = periodic_event("123456789012", now, {"ThresholdDays": "7", "AssumeRoleMode": "false"})
    with root_in_credential_report(
        "123456789012", RootUse.at(password=now - timedelta(days=1)), now
    ):
        run = run_handler(
            code_dir, event, environment, runtime_dir=runtime_path(tmp_path / "runtime")
        )
    for origin in run["origins"].values():
        assert origin.startswith(str(code_dir)), origin
    [evaluation] = run["result"]
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "console password" in evaluation["Annotation"]
