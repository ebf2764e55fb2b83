"""Test-only launcher: ``python tests/browser/launch_streamlit.py [--loopback-up] APP [options...]``.

Runs Streamlit's own CLI in this process after the preparations the offline browser tests need
(see ``LIVE_TESTING.md`` in the shared folder):

- ``--loopback-up``: bring up ``lo`` first (what ``ip link set lo up`` does), for a process
  started by ``unshare -n``;
- for the streamlit-webrtc baseline of ``benchmarks/live_browser.py`` only (the app has no
  WebRTC): aioice never offers 127.0.0.1 as an ICE candidate, so inside a network namespace
  that has only loopback the WebRTC stream could not connect; ``aioice.ice.get_host_addresses``
  is replaced by one returning ``["127.0.0.1"]`` when aioice is installed.
- the pose model is loaded once before the server starts, so the first page to connect does
  not wait for MediaPipe's start-up.

Never used by the app itself.
"""

from __future__ import annotations

import sys
import time


def loopback_up() -> None:
    """``ip link set lo up`` without iproute2 (a fresh network namespace starts with lo down)."""
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s.fileno(), siocgifflags, request))[1]
        fcntl.ioctl(s.fileno(), siocsifflags, struct.pack("16sH14x", b"lo", flags | iff_up))


def patch_aioice() -> None:
    """For the streamlit-webrtc baseline of ``benchmarks/live_browser.py`` (the dev extra); the
    app itself has no WebRTC, so without aioice there is nothing to patch."""
    try:
        import aioice.ice
    except ImportError:
        return

    def loopback_only(use_ipv4: bool = True, use_ipv6: bool = True) -> list[str]:
        return ["127.0.0.1"] if use_ipv4 else []

    aioice.ice.get_host_addresses = loopback_only


def preload_model() -> None:
    import numpy as np

    from formcheck.pose import PoseEstimator

    started = time.monotonic()
    with PoseEstimator() as estimator:
        estimator.process(np.zeros((360, 640, 3), np.uint8), 0)
    print(f"launch_streamlit: pose model ready in {time.monotonic() - started:.1f} s", flush=True)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--loopback-up"]:
        loopback_up()
        argv = argv[1:]
    if not argv:
        raise SystemExit("usage: launch_streamlit.py [--loopback-up] APP [streamlit options...]")
    patch_aioice()
    preload_model()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
