"""Recorded root events: what the re-evaluation function writes, and what the rule accepts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from root_account_usage.core.cloudtrail_evidence import RootActivity
from root_account_usage.core.parameters import usable_role_choice
from root_account_usage.core.recorded_activity import (
    ASSUMED_ROOT_SLOT,
    MAX_RECORD_CHARS,
    NOTHING_RECORDED,
    ROOT_SLOT,
    MalformedRecordError,
    decode,
    encode,
    slot_of,
)

WHEN = datetime(2026, 11, 27, 11, 58, 2, tzinfo=UTC)
SIGN_IN = RootActivity(WHEN, "ConsoleLogin", "us-east-1", "203.0.113.7", True, "us-east-1")
SESSION = SIGN_IN._replace(event_name="DeleteAccessKey", mfa_used=None, assumed_root=True)


def test_a_record_keeps_what_the_annotation_needs_and_no_address():
    value = encode(SIGN_IN)
    assert json.loads(value) == {
        "v": 1,
        "time": "2026-11-27T11:58:02Z",
        "event": "ConsoleLogin",
        "region": "us-east-1",
        "assumedRoot": False,
        "mfa": True,
    }
    assert "203.0.113.7" not in value
    assert len(value) < MAX_RECORD_CHARS / 4


@pytest.mark.parametrize("activity", [SIGN_IN, SESSION], ids=["root", "AssumeRoot session"])
def test_records_read_back_as_the_activity_without_its_address(activity):
    back = decode(encode(activity), slot_of(activity))
    assert back == activity._replace(source_ip=None, source="EventBridge")


def test_each_kind_has_its_own_slot():
    assert (slot_of(SIGN_IN), slot_of(SESSION)) == (ROOT_SLOT, ASSUMED_ROOT_SLOT)


def test_nothing_recorded_is_no_activity():
    assert decode(NOTHING_RECORDED, ROOT_SLOT) is None


def good(**changes):
    record = json.loads(encode(SIGN_IN)) | changes
    return json.dumps({k: v for k, v in record.items() if v is not None})


@pytest.mark.parametrize(
    "value",
    [
        "x" * (MAX_RECORD_CHARS + 1),
        "{not json",
        "[]",
        good(v=2),
        good(event="Console Login; drop"),
        good(event=None),
        good(region="US-EAST-1"),
        good(assumedRoot="false"),
        good(assumedRoot=True),  # a session in the root user's slot
        good(mfa="Yes"),
        good(time="yesterday"),
    ],
)
def test_anything_the_function_would_not_write_is_malformed(value):
    with pytest.raises(MalformedRecordError):
        decode(value, ROOT_SLOT)


def test_a_record_of_1024_characters_is_read_one_more_is_malformed():
    value = good()
    padded = value[:-1] + " " * (1024 - len(value)) + "}"  # JSON spacing, as no writer adds
    assert decode(padded, ROOT_SLOT) == decode(value, ROOT_SLOT)
    with pytest.raises(MalformedRecordError, match="record is 1025 characters"):
        decode(padded[:-1] + " }", ROOT_SLOT)


def test_a_forged_record_in_the_future_still_only_adds_use():
    # Forging can make the account NON_COMPLIANT, never COMPLIANT: a far-future time is a
    # recent use, as a future timestamp in the report is.
    future = decode(good(time="2999-01-01T00:00:00Z"), ROOT_SLOT)
    assert future.time.year == 2999


@pytest.mark.parametrize(
    ("field", "value"), [("region", "us-east-1\n"), ("event", "ConsoleLogin\n")]
)
def test_a_trailing_newline_is_not_what_the_function_writes(field, value):
    record = json.loads(encode(SIGN_IN)) | {field: value}
    with pytest.raises(MalformedRecordError):
        decode(json.dumps(record), ROOT_SLOT)


@pytest.mark.parametrize(
    "region", ["eusc-de-east-1", "us-gov-west-1", "cn-northwest-1", "us-isob-east-1"]
)
def test_a_record_of_any_region_the_package_accepts_reads_back(region):
    # One region pattern for the package (core/regions.py): what encode writes, decode
    # reads, in the European Sovereign Cloud as anywhere else.
    activity = SIGN_IN._replace(region=region, lookup_region=region)
    assert decode(encode(activity), ROOT_SLOT).region == region
    assert usable_role_choice({"ExecutionRoleRegion": region}).region == region


def test_the_version_is_the_number_one_not_a_boolean():
    with pytest.raises(MalformedRecordError):
        decode(good(v=True), ROOT_SLOT)
