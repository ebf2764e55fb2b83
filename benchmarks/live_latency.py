"""Live coaching without a browser: frames per second and frame-to-cue latency at 640x480, the
floor under ``benchmarks/live_browser.py`` (which measures the live page in a real browser).

Three measurements on a looped clip (default: a shared side-on plank clip):

1. **LiveCoach, paced like a camera.** A thread "captures" a 640x480 frame every 1/30 s into a
   one-slot box (a newer frame replaces one not yet taken, as the live page drops stale frames);
   the worker takes the newest frame and runs ``LiveCoach.process``. Latency is capture ->
   result (the cue) ready, so it includes waiting for the worker.
2. **The real WebRTC path** (skip with ``--no-webrtc``): an aiortc peer in a second process
   (the "browser") plays the clip as a camera track (VP8 over loopback RTP) to this process,
   which runs streamlit-webrtc's own async processing track with the previous live page's
   callback (the frame to RGB, :meth:`formcheck.coach.LiveCoach.process`, back to a video
   frame; ``benchmarks/_live_webrtc_app.py``) and sends the annotated video back. Each frame carries its
   number in a 16-bit pixel code; latency is the time from the sender producing the frame to
   the callback finishing it (encode, network, jitter buffer, decode, wait, processing).
3. **The WebRTC path with a callback that only reads the frame number** (the transport's own
   share of the latency: aiortc's VP8 encode and decode on both ends, loopback RTP, jitter
   buffer). The difference to 2. is what formcheck adds.

Targets (issue 7): >= 25 fps and < 100 ms frame to cue on a 2-core laptop.

    python benchmarks/live_latency.py [--clip FILE] [--seconds 20] [--no-webrtc] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MEDIA, Output, machine, table

WIDTH, HEIGHT, CAMERA_FPS = 640, 480, 30
CODE_BITS, CELL = 16, 8  # frame-number code: 16 cells of 8x8 px, bottom-left corner


def load_frames(clip: Path, width: int, height: int) -> list[np.ndarray]:
    import cv2

    from formcheck.capture import VideoFile

    with VideoFile(clip) as video:
        return [cv2.resize(f.image, (width, height), interpolation=cv2.INTER_AREA) for f in video.frames()]


def percentiles(values: list[float]) -> tuple[float, float, float]:
    a = np.asarray(values, float)
    return tuple(float(np.percentile(a, q)) for q in (50, 90, 99)) if a.size else (np.nan,) * 3


# -- 1. LiveCoach paced like a camera ------------------------------------------------------------
def run_coach(frames: list[np.ndarray], exercise: str, seconds: float) -> dict:
    from formcheck.coach import LiveCoach

    box: dict = {}
    cond = threading.Condition()
    stop = threading.Event()

    def camera() -> None:
        i, t0 = 0, time.perf_counter()
        while not stop.is_set():
            due = t0 + i / CAMERA_FPS
            time.sleep(max(0.0, due - time.perf_counter()))
            with cond:
                box["frame"] = (frames[i % len(frames)], time.perf_counter(), i)
                cond.notify()
            i += 1
        box["captured"] = i

    latencies, process_ms, done = [], [], 0
    with LiveCoach(exercise) as coach:
        coach.process(frames[0], 0)  # model warm-up, not timed
        cam = threading.Thread(target=camera, daemon=True)
        start = time.perf_counter()
        cam.start()
        while time.perf_counter() - start < seconds:
            with cond:
                while "frame" not in box:
                    cond.wait()
                image, captured, _ = box.pop("frame")
            t = time.perf_counter()
            coach.process(image, int((captured - start) * 1000) + 1)
            end = time.perf_counter()
            process_ms.append((end - t) * 1000)
            latencies.append((end - captured) * 1000)
            done += 1
        elapsed = time.perf_counter() - start
        stop.set()
        cam.join()
    return {"path": "LiveCoach, camera-paced", "fps": done / elapsed, "captured": box["captured"],
            "processed": done, "latency": percentiles(latencies), "process": percentiles(process_ms)}


# -- 2. the WebRTC path --------------------------------------------------------------------------
def stamp(image: np.ndarray, number: int) -> np.ndarray:
    """Write ``number`` as 16 black/white cells along the bottom-left corner (survives VP8)."""
    out = image.copy()
    y = out.shape[0] - CELL
    for bit in range(CODE_BITS):
        out[y:, bit * CELL:(bit + 1) * CELL] = 255 if number >> bit & 1 else 0
    return out


def read_stamp(image: np.ndarray) -> int:
    y = image.shape[0] - CELL
    number = 0
    for bit in range(CODE_BITS):
        if image[y + 2:y + CELL - 2, bit * CELL + 2:(bit + 1) * CELL - 2].mean() > 127:
            number |= 1 << bit
    return number


def run_webrtc(clip: Path, exercise: str, seconds: float, coach: bool = True) -> dict:
    """The sending peer (the "browser": camera, VP8 encode, decode of the returned video) runs
    in its own process, as a browser would; this process is the server. ``coach=False``: the
    server's callback only reads the frame number (the transport floor)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    sent_at = ctx.Array("d", 1 << CODE_BITS, lock=False)  # frame number -> perf_counter at send
    parent, child = ctx.Pipe()
    sender = ctx.Process(target=_sender_main, args=(child, str(clip), seconds + 4.0, sent_at), daemon=True)
    sender.start()
    try:
        result = asyncio.run(_server(parent, exercise, seconds, sent_at, coach))
        result["returned_fps"] = parent.recv() if parent.poll(30) else float("nan")
    finally:
        sender.join(30)
        if sender.is_alive():
            sender.kill()
    return result


def _loopback_only() -> None:
    import aioice.ice

    # As in the offline browser tests: aioice never offers 127.0.0.1 itself.
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]


def _sender_main(conn, clip: str, run_s: float, sent_at) -> None:
    asyncio.run(_sender(conn, Path(clip), run_s, sent_at))


async def _sender(conn, clip: Path, run_s: float, sent_at) -> None:
    import av
    from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
    from aiortc.mediastreams import MediaStreamError

    _loopback_only()
    frames = load_frames(clip, WIDTH, HEIGHT)

    class ClipTrack(VideoStreamTrack):
        def __init__(self) -> None:
            super().__init__()
            self.n = 0

        async def recv(self) -> av.VideoFrame:
            pts, time_base = await self.next_timestamp()  # paces at 30 fps
            number = self.n % (1 << CODE_BITS)
            frame = av.VideoFrame.from_ndarray(stamp(frames[self.n % len(frames)], number), format="rgb24")
            self.n += 1
            frame.pts, frame.time_base = pts, time_base
            sent_at[number] = time.perf_counter()
            return frame

    pc = RTCPeerConnection()
    returned: list[float] = []

    @pc.on("track")
    def on_return(track) -> None:
        async def drain() -> None:
            while True:
                try:
                    await track.recv()
                except MediaStreamError:
                    return
                returned.append(time.perf_counter())
        asyncio.ensure_future(drain())

    pc.addTransceiver(ClipTrack(), direction="sendrecv")
    await pc.setLocalDescription(await pc.createOffer())
    conn.send((pc.localDescription.sdp, pc.localDescription.type))
    sdp, kind = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    await pc.setRemoteDescription(RTCSessionDescription(sdp, kind))
    await asyncio.sleep(run_s)
    await pc.close()
    late = [t for t in returned if t > returned[-1] - (run_s - 4.0)] if returned else []
    conn.send(len(late) / (run_s - 4.0))


async def _server(conn, exercise: str, seconds: float, sent_at, coach: bool) -> dict:
    import av
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from streamlit_webrtc.models import CallbackAttachableProcessor
    from streamlit_webrtc.process import AsyncVideoProcessTrack

    from formcheck.coach import LiveCoach

    _loopback_only()
    latencies: list[float] = []
    live = LiveCoach(exercise) if coach else None

    def callback(frame: av.VideoFrame) -> av.VideoFrame:
        image = frame.to_ndarray(format="rgb24")
        number = read_stamp(image)
        # as the previous live page's callback: RGB in, coached and drawn, a video frame out
        out = av.VideoFrame.from_ndarray(live.process(image)[0], format="rgb24") if live else frame
        sent = sent_at[number]
        if sent > 0:
            latencies.append((time.perf_counter() - sent) * 1000)
        return out

    pc = RTCPeerConnection()
    processed: list = []

    @pc.on("track")
    def on_track(track) -> None:
        proc = AsyncVideoProcessTrack(track, CallbackAttachableProcessor(callback, None, None))
        processed.append(proc)
        pc.addTrack(proc)

    loop = asyncio.get_running_loop()
    sdp, kind = await loop.run_in_executor(None, conn.recv)
    await pc.setRemoteDescription(RTCSessionDescription(sdp, kind))
    await pc.setLocalDescription(await pc.createAnswer())
    conn.send((pc.localDescription.sdp, pc.localDescription.type))

    await asyncio.sleep(3.0)  # connect, first keyframe, model warm-up: not timed
    latencies.clear()
    start = time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - start
    done = len(latencies)
    status = live.status() if live else None
    for p in processed:
        p.stop()
    await pc.close()
    if live:
        live.close()
    path = "WebRTC (aiortc VP8, loopback; sender in its own process)"
    nan = float("nan")
    return {"path": path + (" + live callback" if coach else ", callback reads the frame only"),
            "fps": done / elapsed, "processed": done, "latency": percentiles(latencies),
            "process": (status.latency_p50_ms, status.latency_p90_ms, nan) if coach else (nan,) * 3,
            "floor": not coach}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path, default=MEDIA / "plank__kaiakol-004.mp4")
    parser.add_argument("--exercise", default="plank")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--no-webrtc", action="store_true", help="skip the WebRTC measurement")
    parser.add_argument("--write", action="store_true", help="save as docs/benchmarks/live_latency.md")
    args = parser.parse_args()
    if not args.clip.is_file():
        sys.exit(f"{args.clip} not found (pass --clip)")
    out = Output("live_latency", "Live page: fps and frame-to-cue latency at 640x480")
    out(f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} at start.")
    out(f"Clip: {args.clip.name} resized to {WIDTH}x{HEIGHT}, looped; exercise {args.exercise}; "
        f"camera at {CAMERA_FPS} fps; {args.seconds:.0f} s per measurement.")
    out()
    frames = load_frames(args.clip, WIDTH, HEIGHT)
    results = [run_coach(frames, args.exercise, args.seconds)]
    if not args.no_webrtc:
        results.append(run_webrtc(args.clip, args.exercise, args.seconds))
        results.append(run_webrtc(args.clip, args.exercise, args.seconds, coach=False))
    rows = []
    for r in results:
        lat, proc = r["latency"], r["process"]
        rows.append([r["path"], round(r["fps"], 1), round(lat[0]), round(lat[1]), round(lat[2]),
                     *("-" if np.isnan(v) else round(v) for v in proc[:2])])
    out(table(["path", "fps", "latency p50 ms", "p90", "p99", "processing p50 ms", "p90"], rows))
    out()
    for r in results:
        if "returned_fps" in r and not r["floor"]:
            out(f"Annotated video back to the sender: {r['returned_fps']:.1f} fps.")
    ok = all(r["fps"] >= 25 and r["latency"][1] < 100 for r in results if not r.get("floor"))
    out(f"Target >= 25 fps and p90 frame-to-cue < 100 ms: {'met' if ok else 'NOT met'} on this run. "
        f"Load average now {os.getloadavg()[0]:.1f} (other work on the machine slows every figure).")
    if args.write:
        out.write()


if __name__ == "__main__":
    main()
