"""Build the Lambda package: dist/root-account-usage-<version>.zip.

The zip root holds ROOT_ACCOUNT_USAGE.py, the root_account_usage package and a
vendored rdklib (with its licence). boto3/botocore are left out (the Lambda runtime
has them), and so are tests, the demo's moto simulation and caches. Entries are
sorted and stamped with a fixed time and mode, so the same sources give the same
bytes and the same sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import zipfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULE_DIR = ROOT / "ROOT_ACCOUNT_USAGE"
PACKAGE = "root_account_usage"
# Needed only by `root-account-usage demo`, which never runs in Lambda.
NOT_SHIPPED = frozenset({"demo.py", "simulated_aws.py"})
MAX_BYTES = 1_000_000
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16


def package_files() -> list[tuple[str, Path]]:
    """(name in the zip, source path) for every shipped file."""
    files = [("ROOT_ACCOUNT_USAGE.py", RULE_DIR / "ROOT_ACCOUNT_USAGE.py")]
    package_dir = RULE_DIR / PACKAGE
    for path in package_dir.rglob("*"):
        if path.is_file() and _is_source(path) and path.name not in NOT_SHIPPED:
            files.append((f"{PACKAGE}/{path.relative_to(package_dir).as_posix()}", path))
    files.extend(_rdklib_files())
    return sorted(files)


def _is_source(path: Path) -> bool:
    return "__pycache__" not in path.parts and (path.suffix == ".py" or path.name == "py.typed")


def _rdklib_files() -> list[tuple[str, Path]]:
    distribution = metadata.distribution("rdklib")
    files = []
    for entry in distribution.files or []:
        name = entry.as_posix()
        shipped = (name.startswith("rdklib/") and name.endswith(".py")) or (
            ".dist-info/licenses/" in name
        )
        if shipped and "__pycache__" not in name:
            target = name if name.startswith("rdklib/") else f"rdklib/{Path(name).name}"
            files.append((target, Path(str(distribution.locate_file(entry)))))
    if not any(target == "rdklib/__init__.py" for target, _ in files):
        raise SystemExit("package: rdklib is not installed in this environment")
    return files


def build(output_dir: Path, version: str) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / f"root-account-usage-{version}.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for name, source in package_files():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, source.read_bytes(), compresslevel=9)
    size = target.stat().st_size
    if size >= MAX_BYTES:
        raise SystemExit(f"package: {target} is {size} bytes, over the {MAX_BYTES}-byte budget")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(RULE_DIR))
    from root_account_usage import __version__

    target = build(args.output_dir, __version__)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    print(f"{target}  {target.stat().st_size} bytes  sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
