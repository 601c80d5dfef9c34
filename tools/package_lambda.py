"""Build the Lambda package: dist/root-account-usage-<version>.zip.

The zip root holds ROOT_ACCOUNT_USAGE.py, the parts of the root_account_usage package
that run in Lambda (its `core` and `rule` folders, chosen by folder, never by file
name) and a vendored rdklib (with its licence). Only files git tracks are taken, so a
stray or generated file in the working tree never ships. boto3/botocore are left out
(the Lambda runtime has them), and so are the CLI, `history`, the simulation, tests
and caches. Entries are sorted and stamped with a fixed time and mode, so the same
sources give the same bytes and the same sha256.

Built with Python 3.13 (the Lambda runtime's), it also ships bytecode compiled from
those sources: /var/task is read-only, so without it every cold start compiles the
rule again (most of its import time; `make bench` measures it). The .pyc files are
checked-hash (PEP 552): no timestamps, so they are reproducible, and Python compares
each with its source's hash on import, so a .py edited after packaging (in the Lambda
console) runs as edited rather than as the stale bytecode.
"""

from __future__ import annotations

import argparse
import hashlib
import py_compile
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
RULE_DIR = ROOT / "ROOT_ACCOUNT_USAGE"
PACKAGE = "root_account_usage"
# The folders of the package that run in Lambda; tests/call_recorder.py scopes the
# least-privilege check by the same folders.
SHIPPED_SUBPACKAGES = ("core", "rule")
MAX_BYTES = 1_000_000
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16
LAMBDA_CACHE_TAG = "cpython-313"  # the python3.13 runtime


def package_files() -> list[tuple[str, Path]]:
    """(name in the zip, source path) for every shipped file."""
    files = [("ROOT_ACCOUNT_USAGE.py", RULE_DIR / "ROOT_ACCOUNT_USAGE.py")]
    package_dir = RULE_DIR / PACKAGE
    for path in tracked_files(package_dir):
        inside = path.relative_to(package_dir)
        shipped = len(inside.parts) == 1 or inside.parts[0] in SHIPPED_SUBPACKAGES
        if path.is_file() and shipped and _is_source(path) and path.name != "__main__.py":
            files.append((f"{PACKAGE}/{inside.as_posix()}", path))
    files.extend(_rdklib_files())
    return sorted(files)


def tracked_files(folder: Path) -> list[Path]:
    """The files under `folder` that git tracks (committed or staged), as paths."""
    try:
        listed = subprocess.run(  # noqa: S603 - a fixed git command on our own folder
            ["git", "ls-files", "-z", "--", str(folder)],  # noqa: S607 - git from PATH
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise SystemExit(f"package: needs a git checkout to know what ships: {error}") from None
    return [ROOT / name.decode() for name in listed.split(b"\0") if name]


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


def bytecode(name: str, source: Path) -> bytes:
    """Checked-hash bytecode of `source`, naming it by its path inside the zip."""
    with tempfile.TemporaryDirectory() as folder:
        compiled = Path(folder) / "module.pyc"
        py_compile.compile(
            str(source),
            cfile=str(compiled),
            dfile=name,
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
        return compiled.read_bytes()


def zip_entries() -> list[tuple[str, bytes]]:
    files = package_files()
    entries = [(name, source.read_bytes()) for name, source in files]
    if sys.implementation.cache_tag == LAMBDA_CACHE_TAG:
        for name, source in files:
            if name.endswith(".py"):
                module = PurePosixPath(name)
                cached = module.parent / "__pycache__" / f"{module.stem}.{LAMBDA_CACHE_TAG}.pyc"
                entries.append((str(cached), bytecode(name, source)))
    else:
        print(f"package: not Python 3.13, so no bytecode for the {LAMBDA_CACHE_TAG} runtime")
    return sorted(entries)


def build(output_dir: Path, version: str) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / f"root-account-usage-{version}.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in zip_entries():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content, compresslevel=9)
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
