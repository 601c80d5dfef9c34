"""rdklib client factories for the rule, reusing SDK clients where that is safe."""

from __future__ import annotations

import os
from typing import Any

from rdklib import ClientFactory

# (service, region) -> client, kept for the life of the Lambda container.
_CLIENTS: dict[tuple[str, str | None], Any] = {}


class ReusedClientFactory(ClientFactory):  # type: ignore[misc] # rdklib has no type hints
    """rdklib's ClientFactory for the function's own role (AssumeRoleMode "false").

    That role's credentials do not change within a Lambda container, so each client is
    built once and reused by warm invocations (AWS's advice for SDK clients in Lambda).
    Assumed roles get a plain ClientFactory: fresh credentials for every invocation.
    """

    def __init__(self, region: str | None = None) -> None:
        self._region = region or os.environ.get("AWS_REGION")
        super().__init__(role_arn=None, region=self._region, assume_role_mode=False)

    def build_client(
        self, service: str, region: str | None = None, assume_role_mode: bool = True
    ) -> Any:
        key = (service, region or self._region)
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = super().build_client(service, region, assume_role_mode)
        return client


def client_factory_for(rule: Any, event: dict[str, Any]) -> Any:
    """The factory rdklib's Evaluator would build, reusing clients in own-role mode."""
    region = rule.get_assume_role_region(event)
    if not rule.get_assume_role_mode(event):
        return ReusedClientFactory(region)
    return ClientFactory(
        role_arn=rule.get_execution_role_arn(event), region=region, assume_role_mode=True
    )


def forget_clients() -> None:
    """Drop the reused clients (tests switch endpoints and credentials between cases)."""
    _CLIENTS.clear()
