"""Settings of the Streamlit app, read once from the environment (defaults defined here only).

=========================  =========  ==========================================================
variable                   default    meaning
=========================  =========  ==========================================================
FORMCHECK_MAX_UPLOAD_MB    200        largest video the analyse page accepts, in MB (also capped
                                      by Streamlit's ``server.maxUploadSize``)
FORMCHECK_ICE_SERVERS      ``[]``     JSON list of WebRTC ICE servers for the live page, e.g.
                                      ``[{"urls": "stun:stun.example.org:3478"}]``; empty = no
                                      STUN/TURN: works on one machine or a LAN with no internet
FORMCHECK_LIVE_TARGET_FPS  25         frames per second the live page tries to keep; below it the
                                      page lowers the pose resolution, then the model
=========================  =========  ==========================================================
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

DEFAULT_MAX_UPLOAD_MB = 200
DEFAULT_TARGET_FPS = 25.0


class SettingError(ValueError):
    """An environment setting has a value the app cannot use (the message names it)."""


@dataclass(frozen=True)
class AppSettings:
    """Attributes:
        max_upload_mb: upload size limit of the analyse page, MB (1 MB = 1,000,000 bytes,
            as Streamlit counts).
        ice_servers: WebRTC ICE servers (``urls`` plus optional ``username``/``credential``).
        target_fps: live processing rate to keep up; the latency budget is one frame of it.
    """

    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB
    ice_servers: list[dict] = field(default_factory=list)
    target_fps: float = DEFAULT_TARGET_FPS

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1_000_000

    @property
    def rtc_configuration(self) -> dict:
        return {"iceServers": [dict(s) for s in self.ice_servers]}

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> AppSettings:
        """Read the ``FORMCHECK_*`` variables.

        Raises:
            SettingError: a value is malformed (naming the variable and what is expected).
        """
        env = os.environ if env is None else env
        return cls(
            max_upload_mb=_positive_int(env, "FORMCHECK_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB),
            ice_servers=parse_ice_servers(env.get("FORMCHECK_ICE_SERVERS", "")),
            target_fps=_positive_float(env, "FORMCHECK_LIVE_TARGET_FPS", DEFAULT_TARGET_FPS),
        )


def parse_ice_servers(text: str) -> list[dict]:
    """``FORMCHECK_ICE_SERVERS`` as a list of ``{"urls": ..., "username"?, "credential"?}``.

    Raises:
        SettingError: not JSON, not a list, or an entry without ``urls``.
    """
    if not text.strip():
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingError(f"FORMCHECK_ICE_SERVERS is not valid JSON ({exc.msg})") from exc
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise SettingError("FORMCHECK_ICE_SERVERS must be a JSON list of {\"urls\": ...} objects")
    servers = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("urls"), (str, list)):
            raise SettingError(f"FORMCHECK_ICE_SERVERS entry {item!r} has no \"urls\"")
        servers.append({k: item[k] for k in ("urls", "username", "credential") if k in item})
    return servers


def _positive_int(env, name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, got {text!r}") from None
    if value <= 0:
        raise SettingError(f"{name} must be positive, got {value}")
    return value


def _positive_float(env, name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingError(f"{name} must be a number, got {text!r}") from None
    if not value > 0:
        raise SettingError(f"{name} must be positive, got {value}")
    return value
