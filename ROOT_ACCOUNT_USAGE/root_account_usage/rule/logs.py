"""Logging in the Lambda functions: the runtime formats it.

template.yaml sets `LoggingConfig: {LogFormat: JSON, ApplicationLogLevel: INFO}`, so the
Lambda runtime writes each record as one JSON object with its level, message, logger and
request id, and the keys of `extra` (here always one, `fields`) beside them. Only those
fields and the message are written, so report content can reach a log only if code puts
it there.
"""

from __future__ import annotations

import logging

SDK_LOGGERS = ("boto3", "botocore", "urllib3", "s3transfer")


def quiet_sdk_loggers() -> None:
    """The SDK logs whole responses at DEBUG, the credential report among them: keep its
    loggers at WARNING whatever the function's log level."""
    for noisy in SDK_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
