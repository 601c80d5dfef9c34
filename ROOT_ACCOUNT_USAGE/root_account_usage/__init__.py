"""ROOT_ACCOUNT_USAGE: was the AWS account's root user used within the last N days?"""

from __future__ import annotations

import logging

__version__ = "0.1.0"

# A library logs only where the application installs handlers (the Lambda
# runtime does; the CLI does with --verbose), never through logging's last resort.
logging.getLogger(__name__).addHandler(logging.NullHandler())
