"""Run a Lambda package's handler as the python3.13 runtime would: in a fresh interpreter
that sees only the unzipped code, the layers (Lambda's /opt/python) and the third-party
modules the runtime itself provides - no site-packages, no PYTHON* variables."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# What the python3.13 Lambda runtime provides besides the standard library.
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")

_RUN_HANDLER = """
import importlib, json, os, sys
code_dir, *other_dirs = sys.argv[1:]
sys.path[:0] = [code_dir, *other_dirs]
sys.dont_write_bytecode = True  # /var/task is read-only in Lambda
module_name, function_name = os.environ["_HANDLER"].rsplit(".", 1)
module = importlib.import_module(module_name)
result = getattr(module, function_name)(json.loads(sys.stdin.read()), None)
origins = {
    name: getattr(sys.modules[name], "__file__", None)
    for name in ("ROOT_ACCOUNT_USAGE", "root_account_usage", "rdklib")
    if name in sys.modules
}
package = sorted(name for name in sys.modules if name.startswith("root_account_usage."))
print(json.dumps({"result": result, "origins": origins, "package_modules": package}))
"""


def runtime_path(folder: Path) -> Path:
    """A folder with only the runtime's third-party modules, linked from this venv."""
    folder.mkdir(parents=True, exist_ok=True)
    for module in RUNTIME_MODULES:
        spec = importlib.util.find_spec(module)
        assert spec is not None
        assert spec.origin is not None
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (folder / source.name).symlink_to(source)
    return folder


def run_handler(
    code_dir: Path,
    event: dict[str, Any],
    environment: dict[str, str],
    *,
    layers: tuple[Path, ...] = (),
    runtime_dir: Path,
    handler: str = "ROOT_ACCOUNT_USAGE.lambda_handler",
) -> dict[str, Any]:
    """Invoke `handler` from `code_dir`; returns its result, where ROOT_ACCOUNT_USAGE,
    root_account_usage and rdklib were imported from, and which package modules loaded."""
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _RUN_HANDLER,
            str(code_dir),
            *map(str, layers),
            str(runtime_dir),
        ],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "_HANDLER": handler} | environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return output
