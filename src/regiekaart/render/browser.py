"""Looking at a rendered page the way a person does: in a real headless Chromium.

A card that renders without errors in Python can still be broken on screen — a
template typo, a script error, a column that never shows. :class:`Chromium` loads a
page in Debian's ``chromium`` over the DevTools protocol, reports the console errors
it raised, answers questions about the laid-out DOM and takes screenshots; the tests
use it to check every HTML output, and ``regiekaart render --format png`` uses it to
make the picture of a card. Only pages on the local disk are opened, and the browser
runs with networking, sync and updates switched off.

Layer: render. It may import store, scenario, analysis, runtime, policy and the
foundation modules; never verify, simulate, testing or cli.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from attrs import frozen

from regiekaart.errors import RegiekaartError

__all__ = [
    "CANDIDATES",
    "FLAGS",
    "BrowserError",
    "BrowserNotFoundError",
    "Chromium",
    "PageReport",
    "find_chromium",
    "png_texts",
    "png_with_text",
]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    "--font-render-hinting=none",
)
"""Flags for a quiet, offline, reproducible browser."""

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


class BrowserError(RegiekaartError, RuntimeError):
    """Chromium could not be started or did not answer."""


class BrowserNotFoundError(BrowserError, FileNotFoundError):
    """No Chromium on this machine; the message says how to install one."""


@frozen
class PageReport:
    """What loading a page showed: the errors its console reported, in order."""

    url: str
    console_errors: tuple[str, ...]


def find_chromium() -> str:
    """The Chromium executable: ``$REGIEKAART_CHROMIUM`` or the first on ``PATH``."""
    configured = os.environ.get("REGIEKAART_CHROMIUM")
    if configured:
        found = shutil.which(configured)
        if found:
            return found
        raise BrowserNotFoundError(f"REGIEKAART_CHROMIUM={configured!r} is not an executable")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserNotFoundError(
        "Chromium was not found on PATH; install the Debian package `chromium` "
        "(apt-get install chromium) or set REGIEKAART_CHROMIUM to a Chrome/Chromium executable"
    )


def _websocket() -> Any:
    try:
        import websocket
    except ImportError:
        raise BrowserNotFoundError(
            "talking to Chromium needs the `websocket-client` package: "
            "pip install 'regiekaart[browser]'"
        ) from None
    return websocket


class Chromium:
    """One headless Chromium with one page, driven over the DevTools protocol.

    Use as a context manager; the browser process and its profile directory are
    removed on exit.
    """

    def __init__(
        self,
        *,
        width: int = 1600,
        height: int = 1000,
        executable: str | None = None,
        timeout: float = 60,
    ) -> None:
        self.width = width
        self.height = height
        self.timeout = timeout
        self._executable = executable or find_chromium()
        self._profile: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._socket: Any = None
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start the browser on a fresh profile and attach to its page."""
        websocket = _websocket()
        self._profile = tempfile.mkdtemp(prefix="regiekaart-chromium-")
        command = [
            self._executable,
            *FLAGS,
            f"--user-data-dir={self._profile}",
            f"--window-size={self.width},{self.height}",
            "--remote-debugging-port=0",
            "about:blank",
        ]
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        port = self._await_port()
        page = self._await_page(port)
        self._socket = websocket.create_connection(
            page, timeout=self.timeout, suppress_origin=True, enable_multithread=False
        )
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Log.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
        )

    def _await_port(self) -> int:
        assert self._profile is not None
        assert self._process is not None
        marker = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BrowserError(
                    f"{self._executable} exited with code {self._process.returncode} on start"
                )
            if marker.exists():
                first = marker.read_text().split("\n", 1)[0].strip()
                if first.isdigit():
                    return int(first)
            time.sleep(0.05)
        raise BrowserError(f"{self._executable} did not open its DevTools port in {self.timeout}s")

    def _await_page(self, port: int) -> str:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as answer:
                targets = json.loads(answer.read())
            for target in targets:
                if target.get("type") == "page" and target.get("webSocketDebuggerUrl"):
                    return str(target["webSocketDebuggerUrl"])
            time.sleep(0.05)
        raise BrowserError("Chromium opened no page to attach to")

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call a DevTools method and return its result; events seen meanwhile are kept."""
        self._next_id += 1
        ident = self._next_id
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error'].get('message')}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self._events.append(message)

    def _await_event(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for index, event in enumerate(self._events):
                if event["method"] == method:
                    return self._events.pop(index)
            message = json.loads(self._socket.recv())
            if "method" in message:
                self._events.append(message)
        raise BrowserError(f"Chromium sent no {method} in {self.timeout}s")

    def load(self, page: Path, *, media: str = "screen") -> PageReport:
        """Open a local page, wait until it has loaded, and report its console errors."""
        url = page.resolve().as_uri()
        self._events.clear()
        self.send("Emulation.setEmulatedMedia", {"media": media})
        self.send("Page.navigate", {"url": url})
        self._await_event("Page.loadEventFired")
        self.evaluate("document.fonts.ready.then(() => true)")
        return PageReport(url=url, console_errors=tuple(self._errors()))

    def _errors(self) -> Iterator[str]:
        for event in self._events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                thrown = details.get("exception", {}).get("description", "")
                yield f"exception: {details.get('text', '')} {thrown}".strip()
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params.get("args", [])
                )
                yield f"console.{params.get('type')}: {args}"
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                yield f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip()

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page (promises are awaited)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            detail = result["exceptionDetails"].get("text")
            raise BrowserError(f"evaluating {expression!r}: {detail}")
        return result.get("result", {}).get("value")

    def screenshot(self, *, selector: str | None = None, full_page: bool = False) -> bytes:
        """A PNG of the viewport, the whole page, or the box around every ``selector`` match."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if selector is not None:
            box = self.evaluate(
                "(() => { const boxes = [...document.querySelectorAll("
                + json.dumps(selector)
                + ")].map(e => e.getBoundingClientRect());"
                " if (!boxes.length) return null;"
                " const l = Math.min(...boxes.map(r => r.left)),"
                " t = Math.min(...boxes.map(r => r.top)),"
                " r = Math.max(...boxes.map(r => r.right)),"
                " b = Math.max(...boxes.map(r => r.bottom));"
                " return [l + scrollX, t + scrollY, r - l, b - t]; })()"
            )
            if box is None:
                raise BrowserError(f"nothing on the page matches {selector!r}")
            left, top, width, height = (round(v) for v in box)
            pad = 12
            params["clip"] = {
                "x": max(left - pad, 0),
                "y": max(top - pad, 0),
                "width": width + 2 * pad,
                "height": height + 2 * pad,
                "scale": 1,
            }
        elif full_page:
            size = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        else:
            params["captureBeyondViewport"] = False
        data = self.send("Page.captureScreenshot", params)["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        """Stop the browser this object started and remove its profile."""
        if self._socket is not None:
            try:
                self._socket.close()
            finally:
                self._socket = None
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None


def png_with_text(png: bytes, key: str, value: str) -> bytes:
    """``png`` with a ``tEXt`` chunk recording ``key`` = ``value`` (e.g. what it shows)."""
    if not png.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG image")
    payload = key.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + payload) & 0xFFFFFFFF)
    first_end = len(_PNG_SIGNATURE) + 8 + struct.unpack(">I", png[8:12])[0] + 4
    return png[:first_end] + chunk + png[first_end:]


def png_texts(png: bytes) -> dict[str, str]:
    """The ``tEXt`` entries of a PNG image."""
    if not png.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG image")
    out: dict[str, str] = {}
    offset = len(_PNG_SIGNATURE)
    while offset + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        data = png[offset + 8 : offset + 8 + length]
        if kind == b"tEXt":
            key, _, value = data.partition(b"\0")
            out[key.decode("latin-1")] = value.decode("latin-1")
        if kind == b"IEND":
            break
        offset += 12 + length
    return out


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
