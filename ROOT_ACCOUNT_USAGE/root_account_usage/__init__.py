"""ROOT_ACCOUNT_USAGE: was the AWS account's root user used within the last N days?"""

from __future__ import annotations

__version__ = "0.1.0"
