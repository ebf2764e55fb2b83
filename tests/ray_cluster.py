"""A real Ray cluster for the tests, alone in namespaces of its own: a head node (127.0.0.1) and
a worker node at another address (127.0.0.2, so Ray sees two machines), started with
``ray start`` as on a real cluster and stopped with ``ray stop``.

- ``unshare --net --pid --fork --mount-proc`` makes a network namespace that has only loopback
  (Ray cannot register, or listen on, the machine's real address) and a PID namespace with its
  own ``/proc``, so ``ray stop`` inside it stops these Ray processes and no others. When the
  namespace's first process (the holder) ends, the kernel ends whatever is left in it.
- Every command of a test that talks to the cluster (``ray start``, the ``formcheck batch``
  driver) runs inside through ``nsenter``. PostgreSQL, started by the store tests' fixture
  outside, is reached through its Unix socket, which a network namespace does not hide.
- The cluster uses token authentication with a token made for it (``RAY_AUTH_TOKEN``), never
  ``~/.ray``.

Needs root (or CAP_SYS_ADMIN) for the namespaces, and Ray (the ``cluster`` extra).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import PYTHONPATH, REPO

HEAD_IP, WORKER_IP, PORT = "127.0.0.1", "127.0.0.2", 6379
DECOY_IP = "192.0.2.10"  # TEST-NET-1, on an interface that exists only inside the namespace
ADDRESS = f"{HEAD_IP}:{PORT}"
#: PID 1 of the namespace: brings lo up, then reaps what is left to it (no zombies stay listed).
_HOLDER = """
import os, time
from tests.browser.launch_streamlit import loopback_up
loopback_up()
print("up", flush=True)
while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(0.2)
"""


def why_not_runnable() -> str | None:
    """Why a namespaced cluster cannot run here, or None."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return 'Ray is not installed (pip install "formcheck[cluster]")'
    for tool in ("unshare", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} not found (Debian package util-linux)"
    probe = subprocess.run(["unshare", "--net", "--pid", "--fork", "--mount-proc", "--", "true"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"cannot make network and PID namespaces (needs root): {probe.stderr.strip()}"
    return None


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


class Namespace:
    """Loopback-only network namespace with its own PID namespace, held by a sleeping process."""

    def __init__(self, env: dict[str, str], decoy: bool = False) -> None:
        """``decoy``: also a network interface with a routable address (:data:`DECOY_IP`, on a
        veth pair inside the namespace, so nothing sent to it leaves), the address a program
        would wrongly listen on instead of loopback."""
        self.env = env
        self._unshare = subprocess.Popen(
            ["unshare", "--net", "--pid", "--fork", "--mount-proc", "--kill-child", "--",
             sys.executable, "-c", _HOLDER],
            cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
        if self._unshare.stdout.readline().strip() != "up":
            raise RuntimeError("the namespace holder did not start")
        [self.holder] = _children(self._unshare.pid)  # PID 1 inside, as the host sees it
        self.pid_ns = os.readlink(f"/proc/{self.holder}/ns/pid")
        if decoy:
            for step in (["link", "add", "fc-decoy", "type", "veth", "peer", "name", "fc-peer"],
                         ["addr", "add", f"{DECOY_IP}/24", "dev", "fc-decoy"], ["link", "set", "fc-decoy", "up"],
                         ["link", "set", "fc-peer", "up"], ["route", "add", "default", "dev", "fc-decoy"]):
                self.run("ip", *step, check=True, timeout=30)

    def listening(self) -> set[str]:
        """Local addresses of the TCP sockets listening inside."""
        lines = self.run("ss", "-ltnH", timeout=30, check=True).stdout.splitlines()
        return {line.split()[3].rsplit(":", 1)[0] for line in lines if line.strip()}

    def command(self, *args: str) -> list[str]:
        return ["nsenter", f"--target={self.holder}", "--net", "--pid", "--mount", "--", *args]

    def run(self, *args: str, timeout: float = 300, env: dict[str, str] | None = None,
            check: bool = False) -> subprocess.CompletedProcess:
        result = subprocess.run(self.command(*args), cwd=REPO, env={**self.env, **(env or {})},
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return result

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args), cwd=REPO, env={**self.env, **(env or {})},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def processes(self) -> list[int]:
        """Host PIDs of the live processes inside (the holder excluded)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != self.holder:
                try:
                    if (os.readlink(entry / "ns" / "pid") == self.pid_ns
                            and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"):
                        found.append(int(entry.name))
                except OSError:  # ended meanwhile
                    continue
        return found

    def wait_empty(self, timeout_s: float = 30) -> list[int]:
        """Wait for every process inside to end; returns those still running at the timeout."""
        deadline = time.monotonic() + timeout_s
        while (left := self.processes()) and time.monotonic() < deadline:
            time.sleep(0.2)
        return left

    def close(self) -> None:
        # PID 1 of a namespace takes only SIGKILL from outside; when it ends, the kernel ends
        # every process left in the namespace.
        os.kill(self.holder, signal.SIGKILL)
        self._unshare.wait(30)


class RayCluster:
    """Head plus one worker node, one CPU each, in a :class:`Namespace`."""

    def __init__(self, env: dict[str, str]) -> None:
        self.temp = Path(tempfile.mkdtemp(prefix="fcray-"))  # short: Ray's socket paths live under it
        self.env = {**env, "PYTHONPATH": PYTHONPATH, "RAY_AUTH_MODE": "token",
                    "RAY_AUTH_TOKEN": secrets.token_hex(32), "RAY_USAGE_STATS_ENABLED": "0"}
        self.ns = Namespace(self.env)
        try:
            self.ns.run("ray", "start", "--head", f"--node-ip-address={HEAD_IP}", f"--port={PORT}", "--num-cpus=1",
                        "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={self.temp}",
                        check=True, timeout=120)
            self.ns.run("ray", "start", f"--address={ADDRESS}", f"--node-ip-address={WORKER_IP}", "--num-cpus=1",
                        "--disable-usage-stats", check=True, timeout=120)
            self._wait_for_nodes(2)
        except BaseException:
            self.stop()
            raise

    def _wait_for_nodes(self, count: int, timeout_s: float = 60) -> None:
        script = (f"import ray; ray.init(address='{ADDRESS}', logging_level='ERROR'); "
                  "print(len({n['NodeManagerAddress'] for n in ray.nodes() if n['Alive']}))")
        deadline = time.monotonic() + timeout_s
        while True:
            r = self.ns.run(sys.executable, "-c", script, timeout=120)
            if r.stdout.strip().endswith(str(count)):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster did not reach {count} nodes: {r.stdout}\n{r.stderr[-2000:]}")
            time.sleep(1)

    def formcheck(self, *args: str, env: dict[str, str] | None = None, timeout: float = 600):
        """``formcheck ARGS`` run inside the namespace (the driver on the head's machine)."""
        return self.ns.run(sys.executable, "-m", "formcheck", *args, env=env, timeout=timeout)

    def stop(self) -> list[int]:
        """``ray stop``; returns the processes it left running (then ended with the namespace)."""
        try:
            self.ns.run("ray", "stop", timeout=120)
            return self.ns.wait_empty()
        finally:
            self.ns.close()
            shutil.rmtree(self.temp, ignore_errors=True)
