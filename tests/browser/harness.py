"""The offline browser set-up, for the browser tests (``conftest.py``) and
``benchmarks/live_browser.py``: a Streamlit server in its own loopback-only network namespace
and Debian's Chromium joining that namespace (``LIVE_TESTING.md`` in the shared folder has the
background).

- ``unshare -n`` starts ``launch_streamlit.py`` in a new network namespace, which brings ``lo``
  up (as ``ip link set lo up``), patches aioice to offer 127.0.0.1 and preloads the model;
- Chromium is started through a two-line wrapper that ``nsenter``s that namespace, so the
  browser reaches the server on 127.0.0.1 while Playwright talks to it over a pipe.

Needs root (or CAP_SYS_ADMIN) for ``unshare -n``/``nsenter``, and ``/usr/bin/chromium``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: PYTHONPATH for the server: this checkout's package (not whichever formcheck is installed)
#: and the ``tests`` package.
PYTHONPATH = os.pathsep.join([str(REPO / "src"), str(REPO)])
CHROMIUM = Path(os.environ.get("FORMCHECK_CHROMIUM", "/usr/bin/chromium"))
SERVER_START_TIMEOUT_S = 90
CHROMIUM_FLAGS = [
    "--allow-loopback-in-peer-connection",  # WebRTC on 127.0.0.1 (the benchmark's baseline)
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


def why_not_runnable() -> str | None:
    """Why the browser set-up cannot run here, or None."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} not found (CI: apt-get install chromium)"
    for tool in ("unshare", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} not found (Debian package util-linux)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python package) is not installed"
    probe = subprocess.run(["unshare", "-n", "--", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"cannot make a network namespace (needs root): {probe.stderr.strip()}"
    return None


def _free_port() -> int:
    # The namespace is empty, so any port works; pick one free here too to ease debugging.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.is_file() else ""


class ServerDidNotStart(RuntimeError):
    """The server exited or did not listen in time (the message ends with its log)."""


@contextlib.contextmanager
def streamlit_server(script: str, model_dir: Path, work: Path, env: dict[str, str] | None = None,
                     drop_env: Sequence[str] = ()) -> Iterator[Server]:
    """Run ``streamlit run SCRIPT`` through ``launch_streamlit.py`` in its own loopback-only
    network namespace; yields the :class:`Server` once it listens and stops it after.

    Raises:
        ServerDidNotStart
    """
    log = work / "streamlit.log"
    port = _free_port()
    launcher = REPO / "tests" / "browser" / "launch_streamlit.py"
    command = ["unshare", "-n", "--", sys.executable, str(launcher), "--loopback-up", script,
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    full_env = {**os.environ, "FORMCHECK_MODEL_DIR": str(model_dir), "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": PYTHONPATH, **(env or {})}
    for name in drop_env:
        full_env.pop(name, None)
    with open(log, "wb") as fh:
        process = subprocess.Popen(command, cwd=REPO, env=full_env, stdout=fh, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while "You can now view your Streamlit app" not in server.log_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServerDidNotStart(f"Streamlit did not start:\n{server.log_text()[-3000:]}")
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def chromium(playwright, server: Server, work: Path, camera: Path | None = None,
             permissions: Sequence[str] = ("camera",), fake_ui: bool = True, fake_device: bool = True,
             viewport: tuple[int, int] = (1280, 1200)):
    """A persistent headless Chromium context inside ``server``'s network namespace.

    ``camera``: a ``.y4m`` the fake webcam plays (looped); ``permissions``: granted to pages;
    ``fake_ui=False`` drops the flag that accepts every camera prompt, so a page without the
    camera permission is refused as a user refusing would be; ``fake_device=False``: no camera
    at all.
    """
    work.mkdir(parents=True, exist_ok=True)
    wrapper = work / "chromium-in-netns"
    wrapper.write_text("#!/bin/sh\n"
                       f"exec nsenter --net=/proc/{server.process.pid}/ns/net -- {CHROMIUM} \"$@\"\n")
    wrapper.chmod(0o755)
    dropped = {"--use-fake-ui-for-media-stream": not fake_ui, "--use-fake-device-for-media-stream": not fake_device}
    args = [f for f in CHROMIUM_FLAGS if not dropped.get(f)]
    if camera is not None:
        args.append(f"--use-file-for-fake-video-capture={camera}")
    context = playwright.chromium.launch_persistent_context(
        str(work / "profile"), executable_path=str(wrapper), headless=True, args=args,
        permissions=list(permissions), viewport={"width": viewport[0], "height": viewport[1]})
    context.set_default_timeout(30_000)
    try:
        yield context
    finally:
        context.close()


def process_tree_cpu_s(root_pids: Sequence[int]) -> float:
    """CPU seconds (user + system) used so far by the live processes ``root_pids`` and all
    their descendants (from /proc; processes that have already exited are not counted)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    tree, todo = set(), [p for p in root_pids if p in used]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [child for child, parent in parents.items() if parent == pid and child not in tree]
    return sum(used[p] for p in tree)


def pids_with_argument(text: str) -> list[int]:
    """The processes whose command line contains ``text`` (e.g. a browser's profile folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def select(page, label: str, option: str, attempts: int = 4) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label`` (an ``<input
    role=combobox>``: click it open, then the option), opening the list again when a rerun of
    the page closed it before the option could be clicked."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator("[data-testid='stSelectbox']").filter(has_text=label).first
    combo = box.locator("input[role='combobox']")
    for _ in range(attempts):
        combo.click()
        choice = page.get_by_role("option", name=option, exact=False).first
        try:
            choice.wait_for(timeout=10_000)
            choice.click()
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        deadline = time.monotonic() + 15
        while option not in combo.input_value() and time.monotonic() < deadline:
            time.sleep(0.2)
        if option in combo.input_value():
            return
    raise AssertionError(f"{label}: could not choose {option!r}")
