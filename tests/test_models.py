"""models.py: where the pose model comes from, and a download that checks what it got.

Downloads go to a local http.server on 127.0.0.1; nothing here touches the network."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
from pathlib import Path

import pytest

from formcheck import models
from formcheck.errors import ModelNotFoundError
from formcheck.models import ModelAsset, download_model, resolve_model

NAME = "pose_landmarker_full.task"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Four empty candidate folders (env, cwd/models, checkout/models, cache), wired in."""
    dirs = {k: tmp_path / k for k in ("env", "cwd", "checkout", "cache")}
    for d in dirs.values():
        d.mkdir()
    (dirs["cwd"] / "models").mkdir()
    (dirs["checkout"] / "models").mkdir()
    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(dirs["env"]))
    monkeypatch.chdir(dirs["cwd"])
    monkeypatch.setattr(models, "_checkout_models_dir", lambda: dirs["checkout"] / "models")
    monkeypatch.setattr(models, "cache_dir", lambda: dirs["cache"])
    # Any download attempt goes to a closed local port and fails at once.
    monkeypatch.setattr(models, "_URL", f"http://127.0.0.1:{_free_port()}/pose_landmarker_{{v}}.task")
    return {
        "env": dirs["env"] / NAME,
        "cwd": dirs["cwd"] / "models" / NAME,
        "checkout": dirs["checkout"] / "models" / NAME,
        "cache": dirs["cache"] / NAME,
    }


def test_resolution_order(places, tmp_path):
    for p in places.values():
        p.write_bytes(b"model")
    explicit = tmp_path / "mine.task"
    explicit.write_bytes(b"model")
    assert resolve_model(explicit) == explicit
    for key in ("env", "cwd", "checkout", "cache"):
        assert resolve_model(download=False) == places[key], key
        places[key].unlink()
    with pytest.raises(ModelNotFoundError):
        resolve_model(download=False)


def test_env_dir_unset_skips_it(places, monkeypatch):
    monkeypatch.delenv("FORMCHECK_MODEL_DIR")
    places["env"].write_bytes(b"model")
    places["cache"].write_bytes(b"model")
    assert resolve_model(download=False) == places["cache"]


def test_explicit_path_that_does_not_exist(places, tmp_path):
    places["env"].write_bytes(b"model")  # must not be used instead
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model(tmp_path / "nope.task")


def test_not_found_names_every_place_and_the_download_failure(places):
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model(progress=False)
    message = str(info.value)
    for p in places.values():
        assert str(p) in message
    assert "download failed" in message
    assert "\n" not in message
    assert not any(places["cache"].parent.iterdir()), "no partial file left in the cache"


def test_unknown_variant_lists_known_ones():
    with pytest.raises(ModelNotFoundError, match="full, lite, heavy"):
        resolve_model(variant="giant", download=False)


# --- downloads from a local server ------------------------------------------------------------

class _Server:
    """Serves ``body`` at any path; ``announce`` overrides the Content-Length header."""

    def __init__(self) -> None:
        self.body = b""
        self.announce: int | None = None
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(outer.announce or len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    srv = _Server()
    monkeypatch.setattr(models, "_URL", f"http://127.0.0.1:{srv.port}/pose_landmarker_{{v}}.task")
    yield srv
    srv.close()


BODY = b"not really a model, but these are the bytes we publish\n" * 100


def _asset(body: bytes = BODY, sha: str | None = "ok", size: int | None = -1) -> ModelAsset:
    return ModelAsset("full", hashlib.sha256(body).hexdigest() if sha == "ok" else sha,
                      len(body) if size == -1 else size)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("progress", [False, True])
def test_download_accepts_matching_file(server, tmp_path, progress, capsys):
    server.body = BODY
    dest = tmp_path / "m" / NAME
    assert download_model(_asset(), dest, progress=progress) == dest
    assert (NAME in capsys.readouterr().err) == progress  # the bar, on stderr
    assert dest.read_bytes() == BODY
    assert _leftovers(dest.parent) == [NAME]


@pytest.mark.parametrize(
    ("asset", "message"),
    [
        (_asset(sha="0" * 64), "sha256"),
        (_asset(size=len(BODY) + 1, sha=None), "expected"),
    ],
    ids=["wrong-hash", "wrong-size"],
)
def test_download_rejects_a_file_that_does_not_match(server, tmp_path, asset, message):
    server.body = BODY
    dest = tmp_path / "m" / NAME
    with pytest.raises(ValueError, match=message):
        download_model(asset, dest, progress=False)
    assert _leftovers(dest.parent) == [], "no file and no partial file left behind"


def test_download_cut_short_is_rejected_even_without_a_pinned_size(server, tmp_path):
    server.body = BODY
    server.announce = len(BODY) * 2  # the server promises more than it sends
    dest = tmp_path / "m" / NAME
    with pytest.raises((ValueError, OSError)):
        download_model(_asset(sha=None, size=None), dest, progress=False, timeout_s=5)
    assert _leftovers(dest.parent) == []


def test_resolve_downloads_into_the_cache_when_nothing_is_local(places, server, monkeypatch):
    server.body = BODY
    monkeypatch.setattr(models, "_URL", f"http://127.0.0.1:{server.port}/pose_landmarker_{{v}}.task")
    monkeypatch.setitem(models.MODEL_ASSETS, "full", _asset())
    got = resolve_model(progress=False)
    assert got == places["cache"]
    assert got.read_bytes() == BODY
    assert resolve_model(progress=False) == got
    assert server.requests == 1, "a cached model is not downloaded again"


def test_resolve_reports_a_rejected_download(places, server, monkeypatch):
    server.body = BODY
    monkeypatch.setattr(models, "_URL", f"http://127.0.0.1:{server.port}/pose_landmarker_{{v}}.task")
    monkeypatch.setitem(models.MODEL_ASSETS, "full", _asset(sha="f" * 64))
    with pytest.raises(ModelNotFoundError, match="does not match"):
        resolve_model(progress=False)
    assert _leftovers(places["cache"].parent) == []
