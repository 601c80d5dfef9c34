"""One escaping rule for whatever the CLI writes to a terminal, whatever the format."""

from __future__ import annotations

import io

from root_account_usage.cli.output import emit


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_html_from_config_cannot_ring_or_redraw_a_terminal():
    page = "<p>annotation \x1b]0;owned\x07 here</p>\n<p>next</p>\n"
    terminal, file = Terminal(), io.StringIO()
    emit(page, terminal)
    emit(page, file)
    assert terminal.getvalue() == "<p>annotation \\x1b]0;owned\\x07 here</p>\n<p>next</p>\n"
    assert file.getvalue() == page  # a file keeps what the format holds
