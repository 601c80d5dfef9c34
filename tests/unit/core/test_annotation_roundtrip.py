"""The annotation round trip, as a property: every kind of verdict the core can produce
is written by core/annotation.py, and read back by the same module's parser to exactly
the root use (credential and time) the verdict was about, or to None when it names none,
whatever text the events carried and however long it was.

Each kind is one strategy in KINDS, drawing the verdict through the real core code
(`decide`, `apply_activity`, `unable_to_evaluate`) and stating what the parser must
recover. A new kind of annotation is one more line in KINDS.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from root_account_usage.core import annotation as text
from root_account_usage.core.annotation import RootUseSeen, read_recent_root_use, read_root_use
from root_account_usage.core.cloudtrail_evidence import RootActivity, apply_activity
from root_account_usage.core.exceptions import RootAccountUsageError
from root_account_usage.core.report import CredentialUse, RootCredentials
from root_account_usage.core.timestamps import format_timestamp
from root_account_usage.core.verdict import Verdict, apply_memory, decide, unable_to_evaluate
from tests.reports import read_report_only

NOW = datetime.fromisoformat("2026-11-27T12:00:00+00:00")
ACCOUNT = "111122223333"
CREDENTIALS = tuple(text.CREDENTIAL_LABELS)
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-northwest-1")


class Case(NamedTuple):
    """An annotation the core wrote, and the root use its parser must give back."""

    annotation: str
    expected: RootUseSeen | None
    report_only: bool | None = False  # says the report alone was read (None: not promised)


thresholds = st.integers(min_value=1, max_value=3650)
generated = st.none() | st.timedeltas(timedelta(0), timedelta(hours=24)).map(lambda age: NOW - age)
# Any text at all where the core passes text through (CloudTrail's fields, error
# reasons): short, and long enough to push an annotation past 256 characters.
anything = st.text(max_size=30) | st.text(min_size=120, max_size=400)


def reported(credential: str, used: datetime) -> RootUseSeen:
    return RootUseSeen(text.CREDENTIAL_LABELS[credential], format_timestamp(used))


@st.composite
def report_verdict(draw: st.DrawFn, ages: st.SearchStrategy[timedelta]) -> tuple[Verdict, Case]:
    """A verdict from the credential report: one credential used at NOW - age (the
    others older or unused), judged against a threshold the age is inside or outside of."""
    credential = draw(st.sampled_from(CREDENTIALS))
    age = draw(ages)
    threshold = draw(thresholds)
    used = NOW - age
    others = {
        name: draw(st.none() | st.timedeltas(timedelta(seconds=1), timedelta(days=4000)))
        for name in CREDENTIALS
        if name != credential
    }
    uses = tuple(
        CredentialUse(name, used if name == credential else _older(used, others[name]))
        for name in CREDENTIALS
    )
    verdict = decide(
        RootCredentials(ACCOUNT, uses, credentials_removed=draw(st.booleans())),
        now=NOW,
        threshold_days=threshold,
        report_generated_at=draw(generated),
    )
    return verdict, Case(verdict.annotation, reported(credential, used))


def _older(than: datetime, by: timedelta | None) -> datetime | None:
    return None if by is None else than - by


recent = st.timedeltas(timedelta(0), timedelta(days=1))  # inside every threshold
old = st.timedeltas(timedelta(days=3651), timedelta(days=9000))  # outside every threshold
future = st.timedeltas(timedelta(days=-30), timedelta(seconds=-1))  # clock skew
report_uses = st.sampled_from([recent, old, future]).flatmap(report_verdict)


@st.composite
def no_use(draw: st.DrawFn) -> tuple[Verdict, Case]:
    uses = tuple(CredentialUse(name, None) for name in CREDENTIALS)
    verdict = decide(
        RootCredentials(ACCOUNT, uses, credentials_removed=draw(st.booleans())),
        now=NOW,
        threshold_days=draw(thresholds),
        report_generated_at=draw(generated),
    )
    return verdict, Case(verdict.annotation, None)


def activity(draw: st.DrawFn, when: datetime) -> RootActivity:
    """A root action from CloudTrail or a recorded EventBridge event: a sign-in, an API
    call or an AssumeRoot session, with any text where the event carried text."""
    sign_in = draw(st.booleans())
    return RootActivity(
        time=when,
        event_name="ConsoleLogin" if sign_in else draw(anything),
        region=draw(st.sampled_from(REGIONS) | anything),
        source_ip=draw(st.none() | anything),
        mfa_used=draw(st.none() | st.booleans()) if sign_in else None,
        lookup_region=draw(st.sampled_from(REGIONS)),
        assumed_root=draw(st.booleans()),
        source=draw(st.sampled_from(text.ACTIVITY_SOURCES)),
    )


# Sources that could not be read, each said at the end of the annotation: CloudTrail's
# event history, or the store of recorded EventBridge events.
SOURCES_READ = {text.CLOUDTRAIL: text.CLOUDTRAIL, text.EVENTBRIDGE: text.RECORDED_EVENTS}
unavailable_sources = st.lists(
    st.sampled_from(sorted(SOURCES_READ.values())), unique=True, max_size=2
)


def unavailable_besides(draw: st.DrawFn, seen: RootActivity) -> list[str]:
    """Sources unavailable while `seen` was read from its own (so not that one)."""
    return [s for s in draw(unavailable_sources) if s != SOURCES_READ[seen.source]]


# What else the annotation must say at its end: a CloudTrail search that did not finish
# in one or both of its regions (the longest region names), a recorded event not counted.
incomplete_notes = st.sampled_from((None, *REGIONS, "eusc-de-east-1", "us-isof-south-1")).map(
    lambda region: text.incomplete_note(text.CLOUDTRAIL, region)
)
record_notes = st.sets(st.sampled_from(text.RECORD_PROBLEMS), min_size=1).map(text.record_note)


def notes_besides(draw: st.DrawFn, unavailable: list[str]) -> list[str]:
    """Notes on sources read in part: neither of a source that could not be read at all."""
    notes = []
    if text.CLOUDTRAIL not in unavailable and draw(st.booleans()):
        notes.append(draw(incomplete_notes))
    if text.RECORDED_EVENTS not in unavailable and draw(st.booleans()):
        notes.append(draw(record_notes))
    return notes


def attempts(draw: st.DrawFn, threshold: int) -> list[RootActivity]:
    """None, or a sign-in attempt that did not authenticate (never a use), with any text
    where the event carried text."""
    if not draw(st.booleans()):
        return []
    when = NOW - draw(st.timedeltas(timedelta(days=-2), timedelta(days=threshold)))
    return [
        RootActivity(
            time=when,
            event_name=draw(
                st.sampled_from(("ConsoleLogin", "CheckMfa", "PasswordRecoveryRequested"))
            ),
            region="us-east-1",
            source_ip=draw(st.none() | anything | st.ip_addresses().map(str)),
            mfa_used=draw(st.none() | st.booleans()),
            lookup_region=draw(st.sampled_from(REGIONS)),
            attempt=True,
        )
    ]


@st.composite
def seen_elsewhere_decides(draw: st.DrawFn) -> tuple[Verdict, Case]:
    """The report shows no use in the threshold; CloudTrail or a recorded event does."""
    base, _ = draw(no_use() | report_verdict(old))
    threshold = base.threshold_days or 1
    when = NOW - draw(st.timedeltas(timedelta(days=-2), timedelta(days=threshold)))
    seen = activity(draw, when)
    verdict = apply_activity(
        base,
        [seen, *attempts(draw, threshold)],
        now=NOW,
        threshold_days=threshold,
        unavailable=(unavailable := unavailable_besides(draw, seen)),
        notes=notes_besides(draw, unavailable),
    )
    # How read_root_use names a use written by activity_seen.
    credential = f"{seen.source}: {text._cut(seen.describe(), text.MAX_ACTIVITY_DESCRIPTION)}"
    return verdict, Case(verdict.annotation, RootUseSeen(credential, format_timestamp(when)))


@st.composite
def seen_elsewhere_also(draw: st.DrawFn) -> tuple[Verdict, Case]:
    """The report shows a use at least as recent as the one seen elsewhere: it is named."""
    base, case = draw(report_verdict(recent))
    assert base.last_used is not None
    threshold = base.threshold_days or 1
    window_start = NOW - timedelta(days=threshold)
    when = draw(
        st.datetimes(window_start.replace(tzinfo=None), base.last_used.replace(tzinfo=None))
    )
    seen = activity(draw, when.replace(tzinfo=base.last_used.tzinfo))
    verdict = apply_activity(
        base,
        [seen, *attempts(draw, threshold)],
        now=NOW,
        threshold_days=threshold,
        unavailable=(unavailable := unavailable_besides(draw, seen)),
        notes=notes_besides(draw, unavailable),
    )
    return verdict, Case(verdict.annotation, case.expected)


evaluated = st.one_of(report_uses, no_use())


@st.composite
def sources_unavailable(draw: st.DrawFn) -> tuple[Verdict, Case]:
    base, case = draw(evaluated)
    threshold = base.threshold_days or 1
    verdict = apply_activity(
        base,
        attempts(draw, threshold),
        now=NOW,
        threshold_days=threshold,
        unavailable=(
            unavailable := draw(
                st.lists(st.sampled_from(sorted(SOURCES_READ.values())), unique=True, min_size=1)
            )
        ),
        notes=notes_besides(draw, unavailable),
    )
    return verdict, Case(verdict.annotation, case.expected)


@st.composite
def attempts_only(draw: st.DrawFn) -> tuple[Verdict, Case]:
    """A sign-in attempt that did not authenticate never names a use: the verdict's stands."""
    base, case = draw(evaluated)
    threshold = base.threshold_days or 1
    verdict = apply_activity(
        base,
        attempts(draw, threshold),
        now=NOW,
        threshold_days=threshold,
        cloudtrail_read=draw(st.booleans()),
        notes=notes_besides(draw, []),
    )
    assert verdict.compliance_type == base.compliance_type
    return verdict, Case(verdict.annotation, case.expected)


@st.composite
def nothing_elsewhere(draw: st.DrawFn) -> tuple[Verdict, Case]:
    base, case = draw(evaluated)
    verdict = apply_activity(
        base, [], now=NOW, threshold_days=base.threshold_days or 1, cloudtrail_read=True
    )
    return verdict, Case(verdict.annotation, case.expected)


@st.composite
def report_only(draw: st.DrawFn) -> tuple[Verdict, Case]:
    """CloudTrailEvidence "false": said at the end, read back, the use unchanged."""
    base, case = draw(evaluated)
    verdict = apply_activity(
        base, [], now=NOW, threshold_days=base.threshold_days or 1, notes=[text.REPORT_ONLY]
    )
    return verdict, Case(verdict.annotation, case.expected, report_only=True)


@st.composite
def cloudtrail_off(draw: st.DrawFn) -> tuple[Verdict, Case]:
    """CloudTrailEvidence "false" with the recorded events read: said, read back, the use
    unchanged, and not taken for "the credential report only"."""
    base, case = draw(evaluated)
    notes = [text.CLOUDTRAIL_OFF, *draw(st.sampled_from([[], [text.record_note(["reset"])]]))]
    verdict = apply_activity(
        base, [], now=NOW, threshold_days=base.threshold_days or 1, notes=notes
    )
    assert text.CLOUDTRAIL_OFF in verdict.annotation
    return verdict, Case(verdict.annotation, case.expected)


@st.composite
def fail_closed(draw: st.DrawFn) -> tuple[Verdict, Case]:
    """Any reason, even one that quotes a use, and long enough to be cut to 256."""
    reason = draw(
        anything | st.just("Root console password was used at 2026-11-27T10:00:00Z, within x")
    )
    code = draw(st.from_regex(r"[A-Za-z]{1,40}", fullmatch=True))
    verdict = unable_to_evaluate(RootAccountUsageError(reason, code=code), threshold_days=7)
    if draw(st.booleans()):  # evidence from elsewhere never changes a fail-closed verdict
        seen = activity(draw, NOW)
        verdict = apply_activity(verdict, [seen], now=NOW, threshold_days=7)
    return verdict, Case(verdict.annotation, None)


MEMORY_UNAVAILABLE = "this rule's last evaluation unavailable, over any kind"


def memory_unavailable() -> st.SearchStrategy[tuple[Verdict, Case]]:
    """Said last by apply_memory over any other kind: the use read back is unchanged, and
    a compliant verdict keeps what it said was not searched."""
    others = [kind() for name, kind in KINDS.items() if name != MEMORY_UNAVAILABLE]
    return st.one_of(others).map(_memory_unavailable)


def _memory_unavailable(drawn: tuple[Verdict, Case]) -> tuple[Verdict, Case]:
    verdict, case = drawn
    said = apply_memory(
        verdict, None, now=NOW, threshold_days=verdict.threshold_days, unavailable=True
    )
    note = text.unavailable_note(text.LAST_EVALUATION)
    assert note in said.annotation
    # Before a fail-closed verdict's error code; else last, after every caveat kept.
    assert not verdict.evaluated or said.annotation.endswith(verdict.kept + note)
    # A COMPLIANT verdict keeps saying it read the report only; where a use is named, the
    # words naming it come first, and the caveat may be cut (docs/deploy.md).
    kept = case.report_only if verdict.compliance_type == "COMPLIANT" else None
    return said, case._replace(annotation=said.annotation, report_only=kept)


KINDS: dict[str, Callable[[], st.SearchStrategy[tuple[Verdict, Case]]]] = {
    "report use, recent": lambda: report_verdict(recent),
    "report use, old": lambda: report_verdict(old),
    "report use, in the future": lambda: report_verdict(future),
    "no recorded use, or no credentials": no_use,
    "seen elsewhere decides": seen_elsewhere_decides,
    "seen elsewhere also": seen_elsewhere_also,
    "a source unavailable": sources_unavailable,
    "a sign-in attempt, not a use": attempts_only,
    "no root activity in CloudTrail": nothing_elsewhere,
    "the credential report only": report_only,
    "CloudTrail off, the records read": cloudtrail_off,
    "fail closed": fail_closed,
    MEMORY_UNAVAILABLE: memory_unavailable,
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@given(data=st.data())
def test_parser_recovers_exactly_the_use_the_writer_named(kind, data):
    verdict, case = data.draw(KINDS[kind]())
    assert 1 <= len(case.annotation) <= text.MAX_ANNOTATION_LENGTH
    assert read_root_use(case.annotation) == case.expected
    assert text.is_unable(case.annotation) == (not verdict.evaluated)
    if case.report_only is not None:
        assert read_report_only(case.annotation) == case.report_only


@pytest.mark.parametrize("kind", sorted(KINDS))
@given(data=st.data())
def test_a_recent_use_is_read_only_from_a_verdict_that_counts_it(kind, data):
    # What the credential removal acts on: a use inside the threshold, never an old one.
    verdict, case = data.draw(KINDS[kind]())
    counted = verdict.compliance_type == "NON_COMPLIANT"
    assert read_recent_root_use(case.annotation) == (case.expected if counted else None)


def test_the_limit_holds_even_for_a_suffix_longer_than_it():
    # AWS Config refuses an annotation over 256 characters: fit cuts the suffix last.
    annotation = text.fit("Unable to evaluate: reason.", " [" + "X" * 300 + "]")
    assert len(annotation) == text.MAX_ANNOTATION_LENGTH
    assert annotation.startswith("... [XXX")


def test_a_root_action_is_described_in_100_characters_at_most():
    def described(what: str) -> str:
        return text.activity_seen(what, NOW, "CloudTrail", "us-east-1").split(" at 2026-")[0]

    assert described("x" * 100) == "x" * 100
    assert described("x" * 101) == "x" * 97 + "..."


def test_a_text_that_fits_exactly_is_never_cut():
    assert text.fit("a" * 250, "b" * 6) == "a" * 250 + "b" * 6
    assert text.fit("a" * 251, "b" * 6) == "a" * 247 + "..." + "b" * 6


def test_the_threshold_an_annotation_states_is_read_back_or_none():
    never_used = RootCredentials(ACCOUNT, tuple(CredentialUse(c, None) for c in CREDENTIALS))
    verdict = decide(never_used, now=NOW, threshold_days=30, report_generated_at=NOW)
    assert text.read_threshold(verdict.annotation) == 30
    assert text.read_threshold("Unable to evaluate: AccessDenied [AccessDenied]") is None
