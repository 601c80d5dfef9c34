"""Properties of the verdict and the parser over generated inputs."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from root_account_usage.core.exceptions import MalformedReportError
from root_account_usage.core.report import parse_credential_report
from root_account_usage.core.verdict import NON_COMPLIANT, decide
from root_account_usage.simulation.credential_report import (
    RootUse,
    render_report,
    root_row,
)
from tests.reports import ACCOUNT_ID, NOW, user_row

ages = st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=5000))
optional_ages = st.none() | ages
thresholds = st.integers(min_value=1, max_value=3650)


def verdict_for(password, key_1, key_2, threshold_days):
    use = RootUse.at(
        password=None if password is None else NOW - password,
        access_key_1=None if key_1 is None else NOW - key_1,
        access_key_2=None if key_2 is None else NOW - key_2,
    )
    root = parse_credential_report(render_report([root_row(ACCOUNT_ID, use)]))
    return decide(root, now=NOW, threshold_days=threshold_days, report_generated_at=NOW)


@given(
    optional_ages,
    optional_ages,
    ages,
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5000)),
    thresholds,
)
def test_moving_a_use_later_never_clears_a_finding(password, key_1, key_2, earlier_by, threshold):
    # key_2 - earlier_by is a later use (smaller age) than key_2.
    before = verdict_for(password, key_1, key_2, threshold)
    later = max(key_2 - earlier_by, timedelta(days=-30))
    after = verdict_for(password, key_1, later, threshold)
    if before.compliance_type == NON_COMPLIANT:
        assert after.compliance_type == NON_COMPLIANT


@given(optional_ages, optional_ages, optional_ages, thresholds, thresholds)
def test_widening_the_threshold_never_clears_a_finding(password, key_1, key_2, a, b):
    narrow, wide = sorted((a, b))
    if verdict_for(password, key_1, key_2, narrow).compliance_type == NON_COMPLIANT:
        assert verdict_for(password, key_1, key_2, wide).compliance_type == NON_COMPLIANT


@given(st.text())
def test_parser_raises_only_its_own_error_on_any_text(text):
    with contextlib.suppress(MalformedReportError):
        parse_credential_report(text)


@given(st.binary())
def test_parser_raises_only_its_own_error_on_any_bytes(data):
    with contextlib.suppress(MalformedReportError):
        parse_credential_report(data)


@given(st.text(alphabet=',"\r\n<>_abcrotu:N/A0123456789-T+').map(lambda s: "user,arn\n" + s))
def test_parser_raises_only_its_own_error_on_csv_like_text(text):
    with contextlib.suppress(MalformedReportError):
        parse_credential_report(text)


@given(st.permutations(range(6)), st.lists(st.text(min_size=1, max_size=30), max_size=5))
def test_verdict_depends_only_on_the_root_row(order, other_last_used):
    rows = [user_row(ACCOUNT_ID, f"user{n}") for n in range(5)]
    for row, value in zip(rows, other_last_used, strict=False):
        row["password_last_used"] = value  # other users' values, even garbage, do not matter
    rows.append(root_row(ACCOUNT_ID, RootUse.at(password=NOW - timedelta(days=3))))
    shuffled = [rows[i] for i in order]
    root = parse_credential_report(render_report(shuffled))
    verdict = decide(root, now=NOW, threshold_days=7, report_generated_at=NOW)
    assert verdict.compliance_type == NON_COMPLIANT
    assert verdict.last_used == NOW - timedelta(days=3)
