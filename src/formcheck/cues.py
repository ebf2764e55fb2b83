"""Which one thing to tell the person now.

Rules: at most one cue on screen at a time; the most important flagged check first (lowest
``priority``); a cue stays up for ``display_s`` and the same cue is not repeated within
``repeat_s``; a check that is ``unknown`` never produces a cue; a clean rep earns a short
positive cue when nothing else is being said.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CueKind = Literal["correction", "praise", "setup"]


@dataclass(frozen=True)
class Cue:
    """A cue said at ``t_ms``. ``source`` is the check id, ``rep`` or ``setup``."""

    t_ms: int
    text: str
    kind: CueKind
    source: str


@dataclass(frozen=True)
class CueCandidate:
    text: str
    kind: CueKind
    source: str
    priority: int


class CueSelector:
    def __init__(self, display_s: float = 2.5, repeat_s: float = 6.0) -> None:
        self.display_s = display_s
        self.repeat_s = repeat_s
        self._current: Cue | None = None
        self._last_said: dict[str, int] = {}

    def current(self, t_ms: int) -> Cue | None:
        """The cue on screen at ``t_ms`` (None when the last one has timed out)."""
        if self._current is not None and (t_ms - self._current.t_ms) / 1000.0 <= self.display_s:
            return self._current
        return None

    def offer(self, t_ms: int, candidates: list[CueCandidate]) -> Cue | None:
        """Consider this frame's candidates; returns the new cue if one is said now."""
        shown = self.current(t_ms)
        for cand in sorted(candidates, key=lambda c: c.priority):
            last = self._last_said.get(cand.text)
            if last is not None and (t_ms - last) / 1000.0 < self.repeat_s:
                continue
            # A correction may replace praise or a setup hint on screen; nothing replaces a
            # correction before its time is up.
            if shown is not None and (shown.kind == "correction" or cand.kind != "correction"):
                return None
            cue = Cue(t_ms=t_ms, text=cand.text, kind=cand.kind, source=cand.source)
            self._current = cue
            self._last_said[cand.text] = t_ms
            return cue
        return None
