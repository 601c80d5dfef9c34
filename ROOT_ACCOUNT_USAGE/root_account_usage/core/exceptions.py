"""Error types of the rule. Every reason the rule cannot decide is one of these."""

from __future__ import annotations


class RootAccountUsageError(Exception):
    """Base class: the rule cannot evaluate the account (it then fails closed)."""

    code = "EvaluationError"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            cls.code = cls.__name__.removesuffix("Error")  # InvalidParameterError: InvalidParameter

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class InvalidParameterError(RootAccountUsageError):
    """A rule parameter or CLI option has a value the rule does not accept."""


class InvalidEventError(RootAccountUsageError):
    """The invoking event lacks a field the rule needs, or has a malformed one."""


class MalformedReportError(RootAccountUsageError):
    """The credential report is not a CSV the rule can read."""


class RootRowMissingError(MalformedReportError):
    """The credential report has no <root_account> row."""


class AccountMismatchError(RootAccountUsageError):
    """The credential report is not the report of the account the event names."""


class StaleReportError(RootAccountUsageError):
    """The newest credential report is too old to be evidence."""


class ReportUnavailableError(RootAccountUsageError):
    """IAM did not hand over a credential report (denied, not ready in time, failing)."""


class OutOfTimeError(RootAccountUsageError):
    """A call was not started: its worst case would not end inside the time budget."""


class EvaluationNotPublishedError(RuntimeError):
    """rdklib could not publish the evaluation; the invocation must fail visibly."""
