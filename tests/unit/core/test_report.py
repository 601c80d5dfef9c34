"""Parsing the credential report by header name, wherever the root row stands."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from root_account_usage.core.exceptions import MalformedReportError, RootRowMissingError
from root_account_usage.core.report import parse_credential_report
from root_account_usage.simulation.credential_report import (
    REPORT_COLUMNS,
    RootUse,
    render_report,
    root_row,
)
from tests.reports import ACCOUNT_ID, report_with_root, report_without_root

USED = RootUse(
    password_last_used="2026-11-20T10:00:00+00:00",
    access_key_1_last_used="2026-11-21T11:00:00+00:00",
    access_key_2_last_used="N/A",
)


def uses_of(content: bytes) -> dict[str, datetime | None]:
    root = parse_credential_report(content)
    return {use.credential: use.last_used for use in root.uses}


def test_root_row_values_become_utc_datetimes():
    uses = uses_of(report_with_root(USED))
    assert uses == {
        "password": datetime(2026, 11, 20, 10, tzinfo=UTC),
        "access_key_1": datetime(2026, 11, 21, 11, tzinfo=UTC),
        "access_key_2": None,
    }


def test_account_id_comes_from_the_root_arn():
    assert parse_credential_report(report_with_root(USED)).account_id == ACCOUNT_ID


def test_root_row_not_first_is_found():
    content = report_with_root(USED, users=50, root_position=37)
    assert uses_of(content)["access_key_1"] == datetime(2026, 11, 21, 11, tzinfo=UTC)


def test_shuffled_and_extra_columns_are_read_by_name():
    columns = [*REPORT_COLUMNS, "some_future_column"]
    random.Random(7).shuffle(columns)
    content = report_with_root(USED, columns=tuple(columns))
    assert uses_of(content) == uses_of(report_with_root(USED))


def test_crlf_line_endings_are_read():
    assert uses_of(report_with_root(USED, newline="\r\n")) == uses_of(report_with_root(USED))


def test_utf8_byte_order_mark_is_ignored():
    assert uses_of(b"\xef\xbb\xbf" + report_with_root(USED))["password"] is not None


def test_text_content_is_accepted():
    assert uses_of(report_with_root(USED).decode())["password"] is not None


@pytest.mark.parametrize("marker", ["N/A", "no_information", "not_supported", "", " N/A "])
def test_no_use_markers_mean_no_recorded_use(marker):
    use = RootUse(marker, marker, marker)
    assert set(uses_of(report_with_root(use)).values()) == {None}


def test_offset_timestamps_are_normalised_to_utc():
    use = RootUse(password_last_used="2026-11-20T12:00:00+02:00")
    assert uses_of(report_with_root(use))["password"] == datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_header_only_report_has_no_root_row():
    with pytest.raises(RootRowMissingError):
        parse_credential_report(render_report([]))


def test_report_without_root_row_is_refused():
    with pytest.raises(RootRowMissingError, match="no <root_account> row"):
        parse_credential_report(report_without_root())


def test_empty_report_is_malformed():
    with pytest.raises(MalformedReportError, match="empty"):
        parse_credential_report(b"")


def test_missing_required_column_is_named():
    columns = tuple(c for c in REPORT_COLUMNS if c != "access_key_2_last_used_date")
    with pytest.raises(MalformedReportError, match="access_key_2_last_used_date"):
        parse_credential_report(report_with_root(USED, columns=columns))


def test_garbage_timestamp_cannot_be_evaluated():
    use = RootUse(password_last_used="last tuesday")
    with pytest.raises(MalformedReportError, match="password_last_used is 'last tuesday'"):
        parse_credential_report(report_with_root(use))


def test_root_row_that_is_not_utf8_is_malformed():
    content = report_with_root(USED).replace(b"not_supported", b"not_\xff\xfesupported", 1)
    with pytest.raises(MalformedReportError, match="not UTF-8"):
        parse_credential_report(content)


def test_header_that_is_not_utf8_is_malformed():
    with pytest.raises(MalformedReportError, match="not UTF-8"):
        parse_credential_report(b"user,\xffarn\n<root_account>,x")


def test_two_root_rows_are_malformed():
    rows = [root_row(ACCOUNT_ID, USED), root_row(ACCOUNT_ID, RootUse())]
    with pytest.raises(MalformedReportError, match="more than one"):
        parse_credential_report(render_report(rows))


def test_root_row_with_missing_fields_is_malformed():
    content = report_with_root(USED).decode().split("\n")
    content[1] = ",".join(content[1].split(",")[:10])
    with pytest.raises(MalformedReportError, match="10 fields"):
        parse_credential_report("\n".join(content))


def test_root_row_with_a_user_arn_is_malformed():
    row = root_row(ACCOUNT_ID, USED) | {"arn": f"arn:aws:iam::{ACCOUNT_ID}:user/root"}
    with pytest.raises(MalformedReportError, match="not an account root ARN"):
        parse_credential_report(render_report([row]))


def test_gov_cloud_root_arn_is_accepted():
    row = root_row(ACCOUNT_ID, USED) | {"arn": f"arn:aws-us-gov:iam::{ACCOUNT_ID}:root"}
    assert parse_credential_report(render_report([row])).account_id == ACCOUNT_ID


def test_marker_in_another_column_is_not_a_root_row():
    row = root_row(ACCOUNT_ID, USED) | {"user": "mallory", "mfa_active": "<root_account>"}
    with pytest.raises(RootRowMissingError):
        parse_credential_report(render_report([row]))


def test_report_of_5000_users_with_root_last():
    content = report_with_root(USED, users=5000, root_position=5000)
    assert content.count(b"\n") == 5002
    assert uses_of(content)["password"] == datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_unbalanced_quote_in_the_header_is_malformed():
    with pytest.raises(MalformedReportError):
        parse_credential_report(b'user,"arn\n<root_account>,x\n')


def removed_row(**changes: str) -> bytes:
    row = root_row(ACCOUNT_ID, RootUse())
    row |= {"password_enabled": "false", "access_key_1_active": "false"}
    row |= {"access_key_2_active": "false", **changes}
    return render_report([row])


def test_explicit_false_everywhere_means_the_credentials_are_removed():
    assert parse_credential_report(removed_row()).credentials_removed is True


@pytest.mark.parametrize(
    "changes",
    [
        {"password_enabled": "not_supported"},  # older accounts: unknown, not "no password"
        {"password_enabled": "true"},
        {"access_key_1_active": "true"},
        {"access_key_2_active": "TRUE"},
        {"password_enabled": ""},
    ],
)
def test_anything_short_of_an_explicit_false_is_no_proof(changes):
    assert parse_credential_report(removed_row(**changes)).credentials_removed is False


def test_a_report_without_the_presence_columns_is_no_proof():
    columns = tuple(c for c in REPORT_COLUMNS if c != "password_enabled")
    row = root_row(ACCOUNT_ID, RootUse())
    row |= {"access_key_1_active": "false", "access_key_2_active": "false"}
    content = render_report([row], columns=columns)
    assert parse_credential_report(content).credentials_removed is False
