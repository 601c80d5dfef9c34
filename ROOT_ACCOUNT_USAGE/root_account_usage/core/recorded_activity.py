"""Root events the re-evaluation function records, written and read here. Pure."""

from __future__ import annotations

import json
import re
from typing import Any

from . import annotation as text
from .cloudtrail_evidence import RootActivity
from .plain_text import NAME, load_record, shortened
from .regions import is_region_name
from .timestamps import format_timestamp, parse_timestamp

ROOT_SLOT = "root"  # the root user's own password or access keys
ASSUMED_ROOT_SLOT = "assumed-root"  # AssumeRoot sessions from the management account
SLOTS = (ROOT_SLOT, ASSUMED_ROOT_SLOT)
NOTHING_RECORDED = "none"  # a parameter's value before any event (SSM stores no empty one)
MAX_RECORD_CHARS = 1024  # a record is about 150 characters: the function wrote none larger
FORMAT_VERSION = 1
_EVENT_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class MalformedRecordError(ValueError):
    """A recorded event that the re-evaluation function did not write as it is."""


def parameter_name(path: str, slot: str) -> str:
    """The SSM parameter holding `slot` under the rule's RootActivityEvidence path."""
    return f"{path}/{slot}"


def slot_of(activity: RootActivity) -> str:
    """The slot recording `activity`."""
    return ASSUMED_ROOT_SLOT if activity.assumed_root else ROOT_SLOT


def encode(activity: RootActivity) -> str:
    """The parameter value recording `activity` (never its source address)."""
    record: dict[str, Any] = {
        "v": FORMAT_VERSION,
        "time": format_timestamp(activity.time),
        "event": shortened(activity.event_name, NAME),
        "region": activity.region,
        "assumedRoot": activity.assumed_root,
    }
    if activity.mfa_used is not None:
        record["mfa"] = activity.mfa_used
    return json.dumps(record, separators=(",", ":"), sort_keys=True)


def was_reset(value: str, version: object) -> bool:
    """Whether a parameter holding `value` at `version` had `none` written over a record
    (the stack writes `none` once, as version 1; the function never writes it)."""
    return value.strip() == NOTHING_RECORDED and type(version) is int and version > 1


def decode(value: str, slot: str) -> RootActivity | None:
    """The event a parameter of `slot` records; None when nothing is recorded. Raises
    MalformedRecordError for anything the function would not have written."""
    if value.strip() == NOTHING_RECORDED:
        return None
    if len(value) > MAX_RECORD_CHARS:
        raise MalformedRecordError(f"record is {len(value)} characters")
    record = load_record(value, MalformedRecordError, "record")
    version = record.get("v") if isinstance(record, dict) else None
    # `True == 1` in Python: the version must be the number itself.
    if type(version) is not int or version != FORMAT_VERSION:
        raise MalformedRecordError("record is not a version 1 object")
    event, region = record.get("event"), record.get("region")
    assumed_root, mfa = record.get("assumedRoot"), record.get("mfa")
    if not isinstance(event, str) or not _EVENT_NAME.fullmatch(event):
        raise MalformedRecordError("record has no valid event name")
    if not isinstance(region, str) or not is_region_name(region):
        raise MalformedRecordError("record has no valid region")
    # SLOTS[False] is the root user's own, SLOTS[True] AssumeRoot sessions'.
    if not isinstance(assumed_root, bool) or SLOTS[assumed_root] != slot:
        raise MalformedRecordError(f"record is not of its parameter's kind ({slot})")
    if mfa is not None and not isinstance(mfa, bool):
        raise MalformedRecordError("record has an invalid mfa flag")
    try:
        time = parse_timestamp(str(record.get("time")))
    except ValueError:
        raise MalformedRecordError("record has no valid time") from None
    # No source address is recorded; the recording region is where it was found.
    return RootActivity(
        time, event, region, None, mfa, region, assumed_root, source=text.EVENTBRIDGE
    )
