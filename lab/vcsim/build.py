"""Build the vCenter lab binary (`lab/vcsim/bin/vcsim-gpu`) from the Go module in `lab/vcsim`.

The module (`go.mod`, `go.sum`) pins govmomi; `go build` fetches it from the Go module proxy
into the module cache on the first build and checks it against `go.sum`. A build happens only
when the binary is missing or older than a Go source file, `go.mod` or `go.sum`.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
MODULE_FILES = (HERE / "go.mod", HERE / "go.sum")
BIN_DIR = HERE / "bin"
BINARY = BIN_DIR / "vcsim-gpu"
# Oldest Go that builds the module (go.mod's `go` line); an older `go` fetches a newer
# toolchain itself (GOTOOLCHAIN=auto, Go 1.21+).
GO_PACKAGE = "golang-go"


class BuildError(RuntimeError):
    """The lab binary cannot be built on this machine."""


def _go() -> str:
    """The `go` command, or a BuildError saying how to install it."""
    go = shutil.which("go")
    if go is None:
        raise BuildError(
            "cannot build the vCenter lab: no `go` command; install Go 1.21 or newer "
            f"(`sudo apt-get install {GO_PACKAGE}`, `make lab-deps`, or https://go.dev/dl)"
        )
    return go


def _newest_source() -> float:
    files = list(SOURCES.glob("*.go"))
    if not files:
        raise BuildError(f"no Go sources in {SOURCES}")
    return max(f.stat().st_mtime for f in [*files, *MODULE_FILES])


def is_stale() -> bool:
    """True when the binary is missing or older than a Go source or the module files."""
    return not BINARY.exists() or BINARY.stat().st_mtime < _newest_source()


def build(*, force: bool = False) -> Path:
    """Return the path of an up-to-date lab binary, building it first if needed."""
    if not force and not is_stale():
        return BINARY
    go = _go()
    BIN_DIR.mkdir(parents=True, exist_ok=True)
    # Several test processes may start at once: one builds, the others wait and reuse it.
    with open(BIN_DIR / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if force or is_stale():
            _compile(go)
    return BINARY


def _compile(go: str) -> None:
    env = {
        **os.environ,
        "GO111MODULE": "on",
        # go.sum is the lock: a build never edits go.mod/go.sum, a mismatch fails it.
        "GOFLAGS": "-mod=readonly",
        # A private cache keeps builds working for users without a writable ~/.cache.
        "GOCACHE": str(BIN_DIR / ".gocache"),
        "CGO_ENABLED": "0",
    }
    partial = BIN_DIR / f"vcsim-gpu.{os.getpid()}.partial"
    result = subprocess.run(
        [go, "build", "-trimpath", "-ldflags", "-s -w", "-o", str(partial), "./src"],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BuildError(f"go build of the vCenter lab failed:\n{result.stderr.strip()}")
    partial.replace(BINARY)  # atomic: a concurrent reader never sees half a binary


def main(argv: list[str]) -> int:
    """`python -m lab build [--force]`: build the lab binary and print its path."""
    parser = argparse.ArgumentParser(prog="python -m lab build", description=__doc__)
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    try:
        print(build(force=args.force))
    except BuildError as err:
        print(err, file=sys.stderr)
        return 1
    return 0
