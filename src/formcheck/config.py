"""formcheck's settings: one typed object, defaults defined once, loadable from TOML and
overridden by command-line flags. ``formcheck.example.toml`` documents every key."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from formcheck.errors import FormcheckError
from formcheck.exercises import all_exercises, get_exercise
from formcheck.inputs import file_problem
from formcheck.pose import PoseOptions
from formcheck.smoothing import OneEuroParams


class PoseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Defaults live once, in PoseOptions (the pose stage's own options).
    variant: str = Field(PoseOptions.variant, description="pose model: full, lite (faster) or heavy")
    min_detection_confidence: float = Field(PoseOptions.min_detection_confidence, ge=0, le=1)
    min_presence_confidence: float = Field(PoseOptions.min_presence_confidence, ge=0, le=1)
    min_tracking_confidence: float = Field(PoseOptions.min_tracking_confidence, ge=0, le=1)
    rotate_fallback: bool = Field(PoseOptions.rotate_fallback, description="retry lost frames turned 90 degrees")


class SmoothingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field("one_euro", description="one_euro or none")
    # Defaults live once, in OneEuroParams (chosen in benchmarks/smoothing.py).
    min_cutoff_hz: float = Field(OneEuroParams.min_cutoff_hz, gt=0, description="One Euro cut-off at rest, Hz")
    beta: float = Field(OneEuroParams.beta, ge=0, description="One Euro speed coefficient")
    d_cutoff_hz: float = Field(OneEuroParams.d_cutoff_hz, gt=0, description="One Euro speed cut-off, Hz")

    def params(self) -> dict[str, float]:
        if self.name == "none":
            return {}
        return {"min_cutoff_hz": self.min_cutoff_hz, "beta": self.beta, "d_cutoff_hz": self.d_cutoff_hz}


class Settings(BaseModel):
    """All settings. ``limits`` maps exercise id -> check id -> limit (a therapist's per-patient
    values; unlisted checks keep their defaults)."""

    model_config = ConfigDict(extra="forbid")
    pose: PoseSettings = PoseSettings()
    smoothing: SmoothingSettings = SmoothingSettings()
    min_visibility: float = Field(0.5, ge=0, le=1, description="landmarks below this are not seen")
    cue_display_s: float = Field(2.5, gt=0)
    cue_repeat_s: float = Field(6.0, ge=0)
    limits: dict[str, dict[str, float]] = Field(default_factory=dict)

    @field_validator("limits")
    @classmethod
    def _limits_of_known_checks(cls, table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        """Every exercise and check named exists and every limit is one its check accepts: a
        misspelt name would drop a therapist's limit without a word."""
        catalogue = all_exercises()
        for ex_id, limits in table.items():
            ex = catalogue.get(ex_id)
            if ex is None:
                try:
                    known = get_exercise(ex_id)
                except FormcheckError:
                    raise ValueError(f"limits.{ex_id}: no such exercise; known exercises: "
                                     f"{', '.join(catalogue)}") from None
                raise ValueError(f"limits.{ex_id}: write the exercise's id, [limits.{known.id}]")
            checks = {c.id: c for c in ex.checks}
            for cid, value in limits.items():
                if cid not in checks:
                    raise ValueError(f"limits.{ex_id}.{cid}: {ex_id} has no check {cid}; its checks: "
                                     f"{', '.join(checks) or 'none'}")
                try:
                    checks[cid].checked_limit(value)
                except ValueError as exc:
                    raise ValueError(f"limits.{ex_id}.{exc}") from None
        return table

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None) -> Settings:
        """Settings from a TOML file, or the defaults when ``path`` is None.

        Raises:
            FormcheckError: unreadable file or invalid values (naming the key).
        """
        if path is None:
            return cls()
        p = Path(path)
        problem = file_problem(p, empty_ok=True)  # an empty file: the defaults
        if problem:
            raise FormcheckError(f"cannot read config {p}: {problem}")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise FormcheckError(f"cannot read config {p}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise FormcheckError(f"config {p} is not UTF-8 text (byte {exc.start} cannot be read)") from exc
        except tomllib.TOMLDecodeError as exc:
            raise FormcheckError(f"config {p} is not valid TOML: {exc}") from exc
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            if first["type"] == "value_error":  # our own validators' messages name the key
                raise FormcheckError(f"config {p}: {first['ctx']['error']}") from exc
            where = ".".join(str(x) for x in first["loc"])
            raise FormcheckError(f"config {p}: {where}: {first['msg']}") from exc
