"""The webhook receiver of the end-to-end benchmark, and the handle the load generator holds.

Run as its own process (`python bench/_e2e_receiver.py PORT`) so that answering webhooks
and generating load do not share one event loop. Every POST is answered 200 at once and
recorded as (wall-clock arrival, case id, event type); `GET /_records?since=N` returns
the records from index N on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from pathlib import Path

Record = tuple[float, str, str]  # (time.time() at arrival, case id, CloudEvent type)


def serve(port: int) -> None:
    """Answer every webhook with 200 and keep its record in memory."""
    records: list[Record] = []

    async def webhook(request: web.Request) -> web.Response:
        arrived = time.time()
        event = json.loads(await request.read())
        data = event.get("data") or {}
        records.append((arrived, str(data.get("case_id", "")), str(event.get("type", ""))))
        return web.Response(text="ok")

    async def read(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        return web.json_response({"records": records[since:]})

    app = web.Application()
    app.router.add_get("/_records", read)
    app.router.add_post("/{path:.*}", webhook)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


class Receiver:
    """The receiver process, seen from the load generator."""

    def __init__(self, port: int, log_file: Path) -> None:
        self.port = port
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None
        self.records: list[Record] = []

    @property
    def base_url(self) -> str:
        """Where the notifier's endpoints file points."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 20.0) -> None:
        """Start the process and wait until it answers."""
        with self.log_file.open("ab") as log:
            # Its own session: Ctrl-C stops the services first while this keeps answering.
            self.process = subprocess.Popen(
                [sys.executable, __file__, str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.fetch()
            except (urllib.error.URLError, OSError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"webhook receiver did not start; see {self.log_file}"
                    ) from None
                time.sleep(0.1)
            else:
                return

    def fetch(self) -> list[Record]:
        """Records that arrived since the last fetch (also appended to `records`)."""
        url = f"{self.base_url}/_records?since={len(self.records)}"
        with urllib.request.urlopen(url, timeout=30) as response:
            new = [tuple(r) for r in json.loads(response.read())["records"]]
        self.records.extend(new)  # type: ignore[arg-type]
        return new  # type: ignore[return-value]

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
