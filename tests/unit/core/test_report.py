"""Parsing the credential report by header name, wherever the root row stands."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest

from root_account_usage.core.exceptions import MalformedReportError, RootRowMissingError
from root_account_usage.core.report import parse_credential_report
from root_account_usage.simulation.credential_report import REPORT_COLUMNS, RootUse, root_row
from tests.reports import (
    ACCOUNT_ID,
    render_report,
    report_with_root,
    report_without_root,
    user_row,
)

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
    with pytest.raises(
        MalformedReportError,
        match=r"root row's password_last_used is not an ISO-8601 date and time in range "
        r"\(12 characters\)",
    ):
        parse_credential_report(report_with_root(use))


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("alice@corp.example 10.1.2.3", "not an ISO-8601 date and time in range"),
        ("2026-11-25", "a date without a time of day"),
        ("9999-12-31T23:59:59-01:00", "not an ISO-8601 date and time in range"),
    ],
)
def test_a_garbled_value_is_named_by_column_and_kind_never_repeated(value, kind):
    # The message reaches the annotation and the ERROR log: the field may hold anything.
    use = RootUse(access_key_1_last_used=value)
    with pytest.raises(MalformedReportError) as raised:
        parse_credential_report(report_with_root(use))
    assert str(raised.value) == (
        f"root row's access_key_1_last_used_date is {kind} ({len(value)} characters)"
    )
    assert value not in str(raised.value)


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


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:iam::{ACCOUNT_ID}:user/root",
        f"arn:aws:iam::{ACCOUNT_ID}:root ",
        "arn:aws:iam::\u0661\u0661\u0661\u0661\u0662\u0662\u0662\u0662\u0663\u0663\u0663\u0663:root",
        f"arn:aws:iam::{ACCOUNT_ID}:root/x",
        "",
    ],
)
def test_root_row_whose_arn_names_no_account_has_no_account(arn):
    # The offline CLI may still judge it; the Lambda refuses it (verdict.require_account).
    row = root_row(ACCOUNT_ID, USED) | {"arn": arn}
    assert parse_credential_report(render_report([row])).account_id is None


def test_gov_cloud_root_arn_is_accepted():
    row = root_row(ACCOUNT_ID, USED) | {"arn": f"arn:aws-us-gov:iam::{ACCOUNT_ID}:root"}
    assert parse_credential_report(render_report([row])).account_id == ACCOUNT_ID


def test_user_path_named_like_the_root_row_does_not_count_as_a_second_root_row():
    # Anyone allowed iam:CreateUser can create /<root_account>/mallory: its ARN shows
    # the marker, but its user field is mallory.
    mallory = user_row(ACCOUNT_ID, "mallory") | {
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/<root_account>/mallory"
    }
    for rows in ([root_row(ACCOUNT_ID, USED), mallory], [mallory, root_row(ACCOUNT_ID, USED)]):
        root = parse_credential_report(render_report(rows))
        assert root.account_id == ACCOUNT_ID
        assert root.uses[0].last_used == datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_marker_twice_in_the_root_rows_own_line_is_one_root_row():
    # Some peers' fixtures carry <root_account> in the root row's ARN as well.
    row = root_row(ACCOUNT_ID, USED) | {"mfa_active": "<root_account>"}
    assert parse_credential_report(render_report([row])).account_id == ACCOUNT_ID


def test_many_marked_user_paths_stay_one_root_row():
    users = [
        user_row(ACCOUNT_ID, f"u{n}")
        | {"arn": f"arn:aws:iam::{ACCOUNT_ID}:user/<root_account>/u{n}"}
        for n in range(500)
    ]
    content = render_report([*users, root_row(ACCOUNT_ID, USED)])
    assert parse_credential_report(content).account_id == ACCOUNT_ID


def test_root_row_after_a_quoted_user_with_a_comma_in_its_path_is_found():
    odd = user_row(ACCOUNT_ID, "a,b") | {
        "arn": f'arn:aws:iam::{ACCOUNT_ID}:user/<root_account>,"x"/a,b'
    }
    content = render_report([odd, root_row(ACCOUNT_ID, USED)])
    assert parse_credential_report(content).account_id == ACCOUNT_ID


def test_header_naming_the_marker_is_not_a_root_row():
    content = render_report([], columns=(*REPORT_COLUMNS, "<root_account>"))
    with pytest.raises(RootRowMissingError):
        parse_credential_report(content)


@pytest.mark.parametrize("column", ["password_last_used", "user", "mfa_active"])
def test_a_column_given_twice_is_refused_not_last_wins(column):
    lines = report_with_root(USED).decode().split("\n")
    lines[0] += f",{column}"
    lines[1] += ",N/A"
    with pytest.raises(MalformedReportError, match=f"{column} more than once"):
        parse_credential_report("\n".join(lines))


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-20",  # a date alone: midnight would move the use by up to a day
        "20261120T100000Z",
        "9999-12-31T23:59:59-01:00",  # past the largest UTC time
        "0001-01-01T00:00:00+01:00",  # before the smallest
    ],
)
def test_last_use_that_is_not_a_date_and_time_in_range_cannot_be_evaluated(value):
    with pytest.raises(MalformedReportError, match="password_last_used"):
        parse_credential_report(report_with_root(RootUse(password_last_used=value)))


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
        # An inactive key still exists: IAM gives it a last_rotated time.
        {"access_key_1_last_rotated": "2024-01-02T03:04:05+00:00"},
        {"access_key_2_last_rotated": "2024-01-02T03:04:05+00:00"},
        {"cert_1_active": "true", "cert_1_last_rotated": "2024-01-02T03:04:05+00:00"},
        {"cert_2_last_rotated": "2024-01-02T03:04:05+00:00"},  # inactive certificate
    ],
    ids=["inactive key 1", "inactive key 2", "active certificate", "inactive certificate"],
)
def test_a_key_or_certificate_that_still_exists_is_no_proof(changes):
    assert parse_credential_report(removed_row(**changes)).credentials_removed is False


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


def test_a_report_of_exactly_32_mib_is_read_one_byte_more_is_refused():
    report = report_with_root(USED)
    padded = report + b"x" * (32 * 1024 * 1024 - len(report))  # a last line, not root's
    assert uses_of(padded)["access_key_1"] == datetime(2026, 11, 21, 11, tzinfo=UTC)
    with pytest.raises(MalformedReportError, match="33554433 bytes, over the 33554432 limit"):
        parse_credential_report(padded + b"x")


def test_a_marker_line_too_short_to_reach_the_user_column_is_not_the_root_row():
    columns = ("arn", "user", *(c for c in REPORT_COLUMNS if c not in ("arn", "user")))
    report = report_with_root(USED, columns=columns)
    assert uses_of(report + b"<root_account>\n")["password"] is not None


def test_columns_given_twice_are_named_three_at_most():
    lines = report_with_root(USED).decode().split("\n")
    repeated = ("arn", "mfa_active", "password_last_used", "user")
    lines[0] += "," + ",".join(repeated)
    lines[1] += ",N/A" * len(repeated)
    shown = "column(s) arn, mfa_active, password_last_used more than once"
    with pytest.raises(MalformedReportError, match=re.escape(shown)):
        parse_credential_report("\n".join(lines))
