"""`doctor`'s usage errors: one line, exit 2, before any AWS call."""

from __future__ import annotations

import pytest

from root_account_usage.cli.main import main


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--regions", "eu-west-1,Mars"], "--regions: 'Mars' is not a region name"),
        (["--aggregator", "org"], "--aggregator and --member-role go together"),
        (["--member-role", "Reader"], "--aggregator and --member-role go together"),
        (["--events", "0"], "--events: 1 to 50"),
        (["--max-workers", "65"], "--max-workers: 1 to 64"),
    ],
)
def test_bad_options_are_one_usage_line(argv, said, capsys, monkeypatch):
    monkeypatch.setattr(
        "root_account_usage.history.organization.open_session",
        lambda *_: pytest.fail("AWS reached despite a usage error"),
    )
    with pytest.raises(SystemExit) as stopped:
        main(["doctor", *argv])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert said in error
    assert error.count("\n") == 1


class Reached(BaseException):  # not an Exception: main's one-line handler lets it through
    """AWS would have been asked: the options were taken."""


@pytest.mark.parametrize(
    "argv",
    [["--events", "1"], ["--events", "50"], ["--max-workers", "1"], ["--max-workers", "64"]],
)
def test_the_ends_of_each_range_are_taken(argv, monkeypatch):
    def reached(*_: object) -> None:
        raise Reached

    monkeypatch.setattr("root_account_usage.history.organization.open_session", reached)
    with pytest.raises(Reached):
        main(["doctor", *argv])
