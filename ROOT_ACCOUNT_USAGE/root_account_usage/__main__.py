"""`python -m root_account_usage` runs the CLI."""

from __future__ import annotations

from .cli.main import main

raise SystemExit(main())
