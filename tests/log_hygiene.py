"""What must never appear in the product's logs: other users, keys, report lines.

Lines are formatted by the Lambda runtime's own JSON formatter (awslambdaric), the one
template.yaml's `LoggingConfig: {LogFormat: JSON}` selects."""

from __future__ import annotations

import logging
import re

from awslambdaric.lambda_runtime_log_utils import JsonFormatter

PRODUCT_LOGGERS = ("root_account_usage", "ROOT_ACCOUNT_USAGE", "rdklib")
FORBIDDEN = [
    re.compile(r"arn:aws[a-z-]*:iam::\d{12}:user/"),  # another user's ARN
    re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),  # an access key id
    re.compile(r"<root_account>"),  # a report row
    re.compile(r"user_creation_time|password_last_used"),  # the report's header
    re.compile(r"\b(alice|bob|deploy-bot|mallory|user-\d{3,})\b"),  # the tests' IAM users
    re.compile(r"(,[^,\s]*){8,}"),  # any CSV line of report width
]


def leaks(records: list[logging.LogRecord]) -> list[str]:
    formatter = JsonFormatter()
    found = []
    for record in records:
        if not record.name.startswith(PRODUCT_LOGGERS):
            continue
        line = formatter.format(logging.makeLogRecord(record.__dict__))
        found.extend(
            f"{pattern.pattern} in {line}" for pattern in FORBIDDEN if pattern.search(line)
        )
    return found
