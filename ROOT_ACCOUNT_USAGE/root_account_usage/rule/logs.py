"""Structured JSON log lines: only the message and `extra={"fields": {...}}` are written."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

SDK_LOGGERS = ("boto3", "botocore", "urllib3", "s3transfer")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str)


def configure_json_logging(level: int | str | None = None) -> None:
    """Format every root handler as JSON (the Lambda runtime installs one).

    The level is `level`, else the LOG_LEVEL environment variable, else INFO.
    """
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
    chosen = level if level is not None else os.environ.get("LOG_LEVEL", "INFO").upper()
    try:
        root.setLevel(chosen)
    except (ValueError, TypeError):
        root.setLevel(logging.INFO)
    # The SDK logs whole responses at DEBUG, the credential report among them.
    for noisy in SDK_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
