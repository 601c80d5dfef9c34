"""Record every AWS API call the product makes (not the tests' own set-up calls).

A call counts as the product's when the innermost frame of rdklib or
root_account_usage on the stack is not the demo's simulation (which seeds accounts).
Each call is kept as (IAM action, access key id), so calls made with an assumed role
can be told from the function's.
"""

from __future__ import annotations

import sys
from typing import Any

from botocore.client import BaseClient

# botocore's service names that differ from IAM's action prefix.
_ACTION_PREFIX = {"config-service": "config", "configservice": "config"}
_PRODUCT_PATHS = ("/rdklib/", "/root_account_usage/", "/ROOT_ACCOUNT_USAGE.py")
_NOT_PRODUCT = ("simulated_aws.py", "demo.py")

RECORDED: set[tuple[str, str]] = set()


def _called_by_product() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if any(part in filename for part in _PRODUCT_PATHS):
            return not filename.endswith(_NOT_PRODUCT)
        frame = frame.f_back
    return False


def install(monkeypatch: Any) -> None:
    original = BaseClient._make_api_call

    def recording(self: BaseClient, operation_name: str, api_params: Any) -> Any:
        if _called_by_product():
            service = self.meta.service_model.service_name
            credentials = self._request_signer._credentials
            key = credentials.access_key if credentials is not None else ""
            RECORDED.add((f"{_ACTION_PREFIX.get(service, service)}:{operation_name}", key))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
