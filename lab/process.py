"""Start and stop a lab server process: both labs announce themselves by printing their https URL
as the first line on stdout, and exit cleanly on SIGTERM."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self


class StopsOnExit:
    """`with lab:` stops the lab when the block ends, however it ends."""

    def stop(self) -> object:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class StartError(RuntimeError):
    """The server printed something other than its URL, exited, or stayed silent too long."""

    def __init__(self, first_line: str, returncode: int | None) -> None:
        super().__init__(f"no URL on stdout (first line {first_line!r}, exit {returncode})")
        self.first_line = first_line
        self.returncode = returncode


def first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """First stdout line of process, or "" if it exits or stays silent past timeout."""
    line: list[str] = []
    # A thread, because a pipe read cannot time out; daemon, so a silent server cannot hang us.
    reader = threading.Thread(
        target=lambda: line.append(process.stdout.readline() if process.stdout else ""),
        daemon=True,
    )
    reader.start()
    reader.join(timeout)
    return line[0].strip() if line else ""


def start_server(
    argv: Sequence[str],
    *,
    stderr: IO[str],
    env: Mapping[str, str],
    timeout: float,
    cwd: Path | None = None,
    detach: bool = False,
) -> tuple[subprocess.Popen[str], str]:
    """Start the server and return it with the URL it printed. On anything else it is killed
    and StartError raised; why it failed is in `stderr` (a file: nobody has to drain it).
    detach: its own session, so it outlives the caller (`make up`) and its terminal's Ctrl-C."""
    process = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        start_new_session=detach,
    )
    first = first_line(process, timeout)
    if not first.startswith("https://"):
        stop(process, grace=0)
        raise StartError(first, process.returncode)
    return process, first


def stop(process: subprocess.Popen[str], grace: float) -> int:
    """SIGTERM the process and wait up to `grace` seconds for its clean exit, then kill it
    (at once when grace is 0); close its stdout. Idempotent; returns the exit code."""
    if process.poll() is None and grace > 0:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    if process.poll() is None:
        process.kill()
    returncode = process.wait()
    if process.stdout is not None:
        process.stdout.close()
    return returncode
