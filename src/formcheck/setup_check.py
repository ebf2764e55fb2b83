"""The camera setup check: is the person fully in frame, are the landmarks the exercise needs
visible, is the camera on the right side, and is the person in the exercise's posture?

Each problem comes with the fix, in words a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.body import SIDES, Body
from formcheck.exercises.spec import Exercise
from formcheck.geometry import elevation
from formcheck.landmarks import side_landmark

_VIEW_FIX = {
    "side": "turn side-on to the camera (camera level with your body, at your side)",
    "front": "face the camera (camera in front of you)",
    "oblique": "turn about half-way toward the camera",
    "end": "put the camera at your head or feet end, looking along your body",
}

#: On hands and knees the supporting thigh (hip -> knee, the lower of the two in the image)
#: points down: a clip's median -75 to -90 degrees on the shared real bird dogs and cat/cows,
#: -62 to -88 on the renders from every camera (where MediaPipe's left-right swaps at the top of
#: a rep put up to a quarter of a clip's frames above -45, inside reps, when no set-up cue is
#: given). A plank's thighs lie along the body (-5 to -18 on the real plank clips), so a thigh
#: above this elevation is not kneeling, degrees.
KNEELING_THIGH_MAX_ELEVATION = -45.0


@dataclass(frozen=True)
class SetupStatus:
    """``ok`` when nothing needs fixing; ``problems`` lists the fixes, most basic first."""

    ok: bool
    problems: tuple[str, ...]
    view: str


def assess_setup(body: Body, exercise: Exercise, margin: float = 0.02) -> SetupStatus:
    """Check one frame against what ``exercise`` needs. ``margin`` is the fraction of the frame
    size a landmark must stay inside the edges to count as in frame."""
    if not body.has_person:
        return SetupStatus(False, ("no one in view: step into the frame, whole body visible",), "unknown")
    problems: list[str] = []
    w, h = body.frame.image_size
    xy = body.frame.xy
    needed = [side_landmark(s, p) for p in exercise.needs for s in ("left", "right")]
    pts = xy[needed]
    pts = pts[np.isfinite(pts).all(axis=1)]  # unseen ones are not out of frame (and nanmin warns on none)
    lo_x, hi_x, lo_y, hi_y = margin * w, (1 - margin) * w, margin * h, (1 - margin) * h
    out_left = bool((pts[:, 0] < lo_x).any())
    out_right = bool((pts[:, 0] > hi_x).any())
    out_top = bool((pts[:, 1] < lo_y).any())
    out_bottom = bool((pts[:, 1] > hi_y).any())
    if out_left or out_right or out_top or out_bottom:
        edges = [n for n, o in (("left", out_left), ("right", out_right), ("top", out_top),
                                ("bottom", out_bottom)) if o]
        problems.append(f"part of you is out of frame ({', '.join(edges)} edge): move back or "
                        "move the camera so your whole body fits")
    hidden = [p for p in exercise.needs
              if not (body.ok(side_landmark("left", p)) or body.ok(side_landmark("right", p)))]
    if hidden:
        problems.append(f"the camera cannot see your {', '.join(hidden)}: improve the light or "
                        "move so nothing blocks the view")
    view = body.view
    if exercise.views and view != "unknown" and view not in exercise.views:
        problems.append(_VIEW_FIX[exercise.views[0]])
    posture_problem = _posture_problem(body, exercise.posture)
    if posture_problem:
        problems.append(posture_problem)
    return SetupStatus(not problems, tuple(problems), view)


def _posture_problem(body: Body, posture: str) -> str | None:
    torso = float(elevation(body.mid("hip"), body.mid("shoulder")))
    if not np.isfinite(torso):
        return None
    if posture == "lying" and abs(torso) > 45:
        return "get down into the starting position on the floor"
    if posture == "kneeling" and (abs(torso) > 60
                                  or _lower_thigh_elevation(body) > KNEELING_THIGH_MAX_ELEVATION):
        return "get down onto your hands and knees"
    if posture == "standing" and abs(torso) < 30:
        return "stand up to start"
    return None


def _lower_thigh_elevation(body: Body) -> float:
    """Image elevation of the lower-pointing thigh (hip -> knee), degrees; NaN without one."""
    thighs = [elevation(body.side(s, "hip"), body.side(s, "knee")) for s in SIDES]
    seen = [t for t in thighs if np.isfinite(t)]
    return min(seen) if seen else float("nan")
