"""Small process helpers: distinct free ports, waiting, stopping, log tails, start errors."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Mapping

__all__ = [
    "PORT_ATTEMPTS",
    "TAIL_LINES",
    "StartError",
    "first_errors",
    "free_port",
    "kill_process",
    "log_size",
    "log_tail",
    "log_text",
    "run_async",
    "says_address_in_use",
    "start_with_retries",
    "stop_process",
    "wait_until",
]

T = TypeVar("T")

TAIL_LINES = 40
# A start whose port was taken is tried again on fresh ports, this many times in all.
PORT_ATTEMPTS = 5
# How Kafka (Java), PostgreSQL and Python servers report a port someone else holds.
_ADDRESS_IN_USE = ("address already in use", "could not bind", "errno 98")
_ERROR_LINE = re.compile(r"\b(ERROR|FATAL|PANIC)\b|\w(Exception|Error):")
# Enough for 40 lines even of long Java stack-trace lines, without reading a whole log.
_TAIL_BYTES = 256 * 1024

# Ports are drawn from below the kernel's ephemeral range when it leaves room: the kernel
# hands ephemeral ports to every bind(0) and outgoing connection on the machine, and one
# of those could take a port we chose before our server has bound it.
_PREFERRED = range(15000, 25000)
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")

_handed_out: set[int] = set()
_handed_out_lock = threading.Lock()


def free_port() -> int:
    """A loopback TCP port nothing is bound to now, never handed out before in this process."""
    with _handed_out_lock:
        candidates = range(_PREFERRED.start, min(_PREFERRED.stop, _ephemeral_start()))
        for _ in range(200 if candidates else 0):
            port = candidates[secrets.randbelow(len(candidates))]
            if port not in _handed_out and _bindable(port):
                _handed_out.add(port)
                return port
        # The kernel may hand back a port it just gave us, not bound yet: remember them.
        for _ in range(1000):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
            if port not in _handed_out:
                _handed_out.add(port)
                return port
    raise RuntimeError("no loopback port left that was not handed out before")


def _ephemeral_start() -> int:
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_until(
    check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1
) -> float:
    """Poll `check` until it is true; returns the seconds it took, raises TimeoutError."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(interval)


def stop_process(proc: subprocess.Popen[bytes], *, timeout: float = 30.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it has not gone within `timeout`."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_process(proc)


def kill_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group and wait for the process to be gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def log_size(path: Path) -> int:
    """The size of a log file now (0 if missing): where the next attempt's output begins."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def log_text(path: Path, *, since: int = 0) -> str:
    """What was written to `path` from byte offset `since` on (at most its last 256 KiB)."""
    try:
        with path.open("rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(since, size - _TAIL_BYTES, 0))
            data = file.read()
    except FileNotFoundError:
        return ""
    return data.decode("utf-8", errors="replace")


def log_tail(path: Path, lines: int = TAIL_LINES, *, since: int = 0) -> str:
    """The last `lines` lines written to `path` at or after byte offset `since` ("" if none)."""
    return "\n".join(log_text(path, since=since).splitlines()[-lines:])


def first_errors(text: str, limit: int = 3) -> list[str]:
    """The first lines of `text` that report an error: ERROR, FATAL or an exception."""
    return [line.strip() for line in text.splitlines() if _ERROR_LINE.search(line)][:limit]


def says_address_in_use(text: str) -> bool:
    """Whether a log or an error text says a port was already taken."""
    lowered = text.lower()
    return any(phrase in lowered for phrase in _ADDRESS_IN_USE)


class StartError(RuntimeError):
    """A component did not start: which, why, its logs' first errors and last lines."""

    def __init__(
        self,
        component: str,
        reason: str,
        logs: Mapping[Path, int] | None = None,
        *,
        address_in_use: bool | None = None,
    ) -> None:
        # Only what this attempt wrote: earlier starts appended to the same files.
        marks = dict(logs or {})
        texts = {path: log_text(path, since=since) for path, since in marks.items()}
        parts = [f"{component} did not start: {reason}"]
        for path, text in texts.items():
            if errors := first_errors(text):
                parts.append(f"first errors in {path.name}:\n  " + "\n  ".join(errors))
        parts += [
            f"--- last {TAIL_LINES} lines of {path} ---\n"
            + "\n".join(text.splitlines()[-TAIL_LINES:])
            + f"\n--- end of {path.name} ---"
            for path, text in texts.items()
            if text
        ]
        if texts and not any(texts.values()):
            parts.append(f"(nothing was written to {', '.join(map(str, texts))})")
        super().__init__("\n".join(parts))
        self.component = component
        self.reason = reason
        if address_in_use is None:
            address_in_use = any(map(says_address_in_use, [reason, *texts.values()]))
        self.address_in_use = address_in_use


def start_with_retries(attempt: Callable[[int], T], *, attempts: int = PORT_ATTEMPTS) -> T:
    """Call `attempt(1)`, `attempt(2)`, ... until one returns; only a taken port is retried."""
    for number in range(1, attempts + 1):
        try:
            return attempt(number)
        except StartError as error:
            if not error.address_in_use or number == attempts:
                raise
    raise ValueError("attempts must be at least 1")


def run_async(coroutine: Coroutine[object, object, T]) -> T:
    """Run a coroutine to its end from blocking code, also when this thread runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
