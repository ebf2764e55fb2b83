"""Settings of the Streamlit app, read once from the environment (defaults defined here only).

=========================  =========  ==========================================================
variable                   default    meaning
=========================  =========  ==========================================================
FORMCHECK_MAX_UPLOAD_MB    200        largest video the analyse page accepts, in MB (also capped
                                      by Streamlit's ``server.maxUploadSize``)
FORMCHECK_LIVE_TARGET_FPS  25         frames per second the live page tries to keep; below it the
                                      page lowers the pose resolution, then the model
=========================  =========  ==========================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_MAX_UPLOAD_MB = 200
DEFAULT_TARGET_FPS = 25.0


class SettingError(ValueError):
    """An environment setting has a value the app cannot use (the message names it)."""


@dataclass(frozen=True)
class AppSettings:
    """Attributes:
        max_upload_mb: upload size limit of the analyse page, MB (1 MB = 1,000,000 bytes,
            as Streamlit counts).
        target_fps: live processing rate to keep up; the latency budget is one frame of it.
    """

    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB
    target_fps: float = DEFAULT_TARGET_FPS

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1_000_000

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> AppSettings:
        """Read the ``FORMCHECK_*`` variables.

        Raises:
            SettingError: a value is malformed (naming the variable and what is expected).
        """
        env = os.environ if env is None else env
        return cls(
            max_upload_mb=_positive_int(env, "FORMCHECK_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB),
            target_fps=_positive_float(env, "FORMCHECK_LIVE_TARGET_FPS", DEFAULT_TARGET_FPS),
        )


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
