"""The live camera's WebSocket endpoint: camera frames in, what to draw over them out.

The browser (``frontend/camera.js``) sends the newest camera frame and waits for its answer
before sending the next (one frame in flight, so no frame ever waits in a queue); this
endpoint decodes it, has the session coach it (:class:`FrameSink`), and answers with the
shapes to draw over that frame and the coach's quality step. Should a client send faster than
that, a frame that arrives while another is being coached replaces any frame still waiting.

Messages:

- browser -> server, text: ``{"type": "hello", "token": T}`` first; ``T`` names the session
  (the endpoint's ``find``), a random token the page gave the component.
- browser -> server, binary: a 4-byte big-endian header length, a JSON header ``{"seq": n,
  "captured": epoch ms, "width": W, "height": H}`` (the camera frame's capture time and size;
  the JPEG that follows may be smaller), then the JPEG.
- server -> browser, text JSON: ``{"type": "ready", "quality": ..., "send_side": px}`` after
  the hello; ``{"type": "frame", "seq": n, "shapes": [...], "quality": ..., "send_side": px,
  "server": {...}}`` per frame (``send_side``: the longest side to send the next frames at;
  ``server``: when the frame arrived and its answer was ready, epoch ms on the server's clock,
  and how long it waited for a worker thread, was decoded and coached, ms);
  ``{"type": "skipped", "seq": n}`` for a frame captured before one already coached;
  ``{"type": "error", "message": ..., "fatal": bool}`` (fatal: reconnecting will not help).

Decoding, coaching and writing the answer run in a worker thread, never on the server's event
loop (which also serves every Streamlit page).

Only same-origin pages may connect (the ``Origin`` header's host must be the ``Host``), and
only with a live session's token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import cv2
import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from formcheck.annotate import Shape, to_plain

log = logging.getLogger(__name__)

#: Largest frame message accepted (a 640x480 JPEG is about 30 KB).
MAX_FRAME_BYTES = 4_000_000
MAX_HEADER_BYTES = 4096
HELLO_TIMEOUT_S = 10.0
#: WebSocket close code (RFC 6455) for a page from elsewhere or without a live session's token.
POLICY_VIOLATION = 1008
EXPIRED = "This live session has ended (the page was idle too long or the server restarted): reload the page."


class FrameError(ValueError):
    """A frame message that cannot be read (the message says why)."""


@dataclass(frozen=True)
class Frame:
    """One camera frame as the browser sent it.

    Attributes:
        seq: the browser's frame number (echoed in the answer).
        captured_ms: the capture time, milliseconds since the epoch on the browser's clock.
        size: (width, height) of the camera frame, which the shapes are drawn for.
        image: (H, W, 3) uint8 RGB, possibly smaller than ``size``.
    """

    seq: int
    captured_ms: float
    size: tuple[int, int]
    image: np.ndarray


@dataclass(frozen=True)
class Overlay:
    """What to draw over one frame, and how the session is coaching.

    Attributes:
        shapes: drawn over the camera frame (:mod:`formcheck.annotate`), in its pixels.
        quality: the quality step in words (model, pose resolution, lowered or not).
        send_side: the longest side, px, the browser should send frames at.
    """

    shapes: list[Shape]
    quality: str
    send_side: int


class FrameSink(Protocol):
    """A live session as this endpoint sees it."""

    def coach_frame(self, image: np.ndarray, captured_ms: float, size: tuple[int, int]) -> Overlay | None:
        """Coach one frame; None when it is older than one already coached (it is dropped)."""

    def ready(self) -> Overlay:
        """The answer before any frame (no shapes)."""


def read_frame(message: bytes) -> Frame:
    """Parse a binary frame message (see the module docstring).

    Raises:
        FrameError: too big, a malformed header, or an image that does not decode.
    """
    if len(message) > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {len(message)} bytes is over the {MAX_FRAME_BYTES}-byte limit")
    if len(message) < 4:
        raise FrameError("frame message too short")
    (length,) = struct.unpack(">I", message[:4])
    if not 2 <= length <= MAX_HEADER_BYTES or 4 + length >= len(message):
        raise FrameError("frame header length out of range")
    try:
        header = json.loads(message[4:4 + length])
        seq, captured = int(header["seq"]), float(header["captured"])
        size = (int(header["width"]), int(header["height"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise FrameError(f"bad frame header ({exc})") from None
    if not np.isfinite(captured) or min(size) <= 0 or max(size) > 8192:
        raise FrameError("frame header has an impossible time or size")
    image = cv2.imdecode(np.frombuffer(message, np.uint8, offset=4 + length), cv2.IMREAD_COLOR_RGB)
    if image is None:
        raise FrameError("frame image is not a JPEG the server can decode")
    return Frame(seq, captured, size, image)


def frame_message(seq: int, captured_ms: float, size: tuple[int, int], jpeg: bytes) -> bytes:
    """A binary frame message, as ``frontend/camera.js`` builds it."""
    header = json.dumps({"seq": seq, "captured": captured_ms, "width": size[0], "height": size[1]}).encode()
    return struct.pack(">I", len(header)) + header + jpeg


def same_origin(origin: str | None, host: str | None) -> bool:
    """The page that opened the socket was served by this server (the ``Origin`` header names
    the host the request went to)."""
    return bool(origin and host) and urlsplit(origin).netloc.lower() == host.lower()


class _Latest:
    """A one-slot box: the newest frame not yet taken (a newer one replaces it), with the
    time it arrived."""

    def __init__(self) -> None:
        self._item: tuple[bytes, float] | None = None
        self._ready = asyncio.Event()

    def put(self, message: bytes) -> None:
        self._item = (message, time.time())
        self._ready.set()

    async def take(self) -> tuple[bytes, float]:
        await self._ready.wait()
        item, self._item = self._item, None
        self._ready.clear()
        return item


class FrameChannel:
    """The endpoint: :meth:`serve` handles one WebSocket (a Starlette WebSocket endpoint);
    ``find(token)`` gives the session a token names, or None."""

    def __init__(self, find: Callable[[str], FrameSink | None]) -> None:
        self.find = find

    async def serve(self, websocket: WebSocket) -> None:
        if not same_origin(websocket.headers.get("origin"), websocket.headers.get("host")):
            log.warning("live camera: refused a connection from origin %r", websocket.headers.get("origin"))
            await websocket.close(code=POLICY_VIOLATION)
            return
        await websocket.accept()
        try:
            token = await self._hello(websocket)
            if token is None:
                return
            box = _Latest()
            reader = asyncio.create_task(self._read(websocket, box))
            try:
                await self._coach(websocket, token, box)
            finally:
                reader.cancel()
        except (WebSocketDisconnect, WebSocketDisconnected):
            pass  # the page went away

    async def _hello(self, websocket: WebSocket) -> str | None:
        try:
            hello = json.loads(await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT_S))
            token = str(hello["token"])
        except (asyncio.TimeoutError, ValueError, KeyError, TypeError):
            await self._error(websocket, "the camera page did not introduce itself: reload the page", fatal=True)
            await websocket.close(code=POLICY_VIOLATION)
            return None
        sink = self.find(token)
        if sink is None:
            await self._error(websocket, EXPIRED, fatal=True)
            await websocket.close(code=POLICY_VIOLATION)
            return None
        ready = sink.ready()
        await websocket.send_text(json.dumps({"type": "ready", "quality": ready.quality,
                                              "send_side": ready.send_side}))
        return token

    @staticmethod
    async def _read(websocket: WebSocket, box: _Latest) -> None:
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("bytes") is not None:
                    box.put(message["bytes"])
        finally:
            box.put(b"")  # the page went away: wakes the coaching loop, which ends

    async def _coach(self, websocket: WebSocket, token: str, box: _Latest) -> None:
        while True:
            message, received = await box.take()
            if not message:
                return
            sink = self.find(token)
            if sink is None:
                await self._error(websocket, EXPIRED, fatal=True)
                await websocket.close(code=POLICY_VIOLATION)
                return
            try:
                answer = await asyncio.to_thread(self._answer, sink, message, received)
            except Exception as exc:  # the page boundary: say what broke, keep the socket
                log.exception("live frame coaching failed")
                answer = json.dumps({"type": "error", "message": f"coaching failed: {type(exc).__name__}: {exc}",
                                     "fatal": False})
            await websocket.send_text(answer)

    @staticmethod
    def _answer(sink: FrameSink, message: bytes, received: float) -> str:
        """The answer (JSON) to one frame message that arrived at ``received`` (epoch s), in a
        worker thread: decode, coach, shapes."""
        waited = time.time() - received
        started = time.perf_counter()
        try:
            frame = read_frame(message)
        except FrameError as exc:
            return json.dumps({"type": "error", "message": f"a camera frame could not be read: {exc}", "fatal": False})
        decoded = time.perf_counter()
        overlay = sink.coach_frame(frame.image, frame.captured_ms, frame.size)
        if overlay is None:
            return json.dumps({"type": "skipped", "seq": frame.seq})
        answer = {"type": "frame", "seq": frame.seq, "shapes": to_plain(overlay.shapes),
                  "quality": overlay.quality, "send_side": overlay.send_side,
                  "server": {"received_at": round(received * 1000, 1), "waited_ms": round(waited * 1000, 1),
                             "decode_ms": round((decoded - started) * 1000, 1),
                             "coach_ms": round((time.perf_counter() - decoded) * 1000, 1)}}
        answer["server"]["answered_at"] = round(time.time() * 1000, 1)
        return json.dumps(answer, separators=(",", ":"))

    @staticmethod
    async def _error(websocket: WebSocket, message: str, fatal: bool) -> None:
        await websocket.send_text(json.dumps({"type": "error", "message": message, "fatal": fatal}))
