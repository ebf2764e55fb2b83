"""Which exercise is this? A nearest-template guess from the first seconds of pose.

:func:`features` summarises a short run of pose frames in a dozen numbers that tell the
declared exercises apart (posture, camera view, which limbs move and how far, whether the body
travels); :data:`TEMPLATES` gives, for each exercise, the value expected of each feature and
how far it may stray (a Gaussian: mean, spread), written from the exercises' geometry. The
score of a template is the Gaussian log-likelihood of the features it constrains (features that
cannot be measured are left out); the best template of each exercise counts, and a softmax over
exercises turns scores into probabilities. :func:`recognize` returns the best exercise, its
probability (``confidence``) and the runners-up; below :data:`SURE` it is ``unsure`` and the
caller should ask.

Feature units: degrees for angles, torso lengths (shoulder midpoint to hip midpoint, median over
the frames) for distances, image pixels with y down. Motion ranges are the 10th-90th percentile
spread of a point's position *relative to the hip midpoint* (limb movement, not walking), and
``travel`` is the hip midpoint's own horizontal spread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from formcheck.body import Body
from formcheck.frames import PoseFrame
from formcheck.geometry import elevation, joint_angle

#: Below this probability the guess is reported as unsure.
SURE = 0.6
#: How much of the start of a recording :func:`formcheck.api.analyze` looks at, seconds.
SECONDS = 3.0


@dataclass(frozen=True)
class Recognition:
    """A guess. ``alternatives`` maps the next most likely exercises to their probabilities
    (best first); ``features`` are the measured features (for reports and debugging)."""

    exercise_id: str
    confidence: float
    alternatives: dict[str, float]
    features: dict[str, float] = field(default_factory=dict)

    @property
    def unsure(self) -> bool:
        return self.confidence < SURE


def _spread(values: np.ndarray) -> float:
    v = values[np.isfinite(values)]
    return float(np.percentile(v, 90) - np.percentile(v, 10)) if len(v) >= 2 else float("nan")


def _median(values: list[float]) -> float:
    v = [x for x in values if math.isfinite(x)]
    return float(np.median(v)) if v else float("nan")


def features(frames: list[PoseFrame], min_visibility: float = 0.5) -> dict[str, float]:
    """The recognition features of a run of frames (see module docstring); NaN when not
    measurable (no person, or the parts not seen)."""
    bodies = [Body(f, min_visibility) for f in frames if f.has_person]
    nan = float("nan")
    names = ("torso_up", "torso_range", "side_on", "knee_up", "hands_low", "hands_up_max",
             "knee_bend", "move_wrist", "move_ankle", "move_knee", "move_hip", "travel")
    if not bodies:
        return dict.fromkeys(names, nan)
    torso = _median([b.torso_length_px for b in bodies])
    if not math.isfinite(torso) or torso <= 0:
        return dict.fromkeys(names, nan)
    elev = np.array([abs(float(elevation(b.mid("hip"), b.mid("shoulder")))) for b in bodies])
    hip = np.array([b.mid("hip") for b in bodies])
    sh = np.array([b.mid("shoulder") for b in bodies])

    def rel(part: str, side: str) -> np.ndarray:
        return (np.array([b.side(side, part) for b in bodies]) - hip) / torso

    def move(part: str) -> float:
        spreads = []
        for side in ("left", "right"):
            p = rel(part, side)
            spreads.append(max(_spread(p[:, 0]), _spread(p[:, 1])))
        spreads = [s for s in spreads if math.isfinite(s)]
        return max(spreads) if spreads else nan

    knee_mid = np.array([b.mid("knee") for b in bodies])
    wrist_mid = np.array([b.mid("wrist") for b in bodies])
    hands_up = np.array([max(((b.side(s, "shoulder")[1] - b.side(s, "wrist")[1]) / torso
                              for s in ("left", "right")), default=nan) for b in bodies])
    knees = [min((float(joint_angle(b.side(s, "hip"), b.side(s, "knee"), b.side(s, "ankle")))
                  for s in ("left", "right")), default=nan) for b in bodies]
    finite_up = hands_up[np.isfinite(hands_up)]
    return {
        "torso_up": _median(list(elev)),
        "torso_range": _spread(elev),
        "side_on": _median([b.side_on_ratio for b in bodies]),
        "knee_up": _median(list((hip[:, 1] - knee_mid[:, 1]) / torso)),
        "hands_low": _median(list((wrist_mid[:, 1] - sh[:, 1]) / torso)),
        "hands_up_max": float(np.percentile(finite_up, 90)) if len(finite_up) else nan,
        "knee_bend": _median(knees),
        "move_wrist": move("wrist"),
        "move_ankle": move("ankle"),
        "move_knee": move("knee"),
        "move_hip": _spread(hip[:, 1] / torso),
        "travel": _spread(hip[:, 0] / torso),
    }


#: exercise id -> templates; each maps feature -> (expected value, spread). Written from the
#: exercises' geometry: lying or on all fours the torso is near horizontal (torso_up small),
#: standing near 90; side views have side_on below about 0.3, front views above 0.4; on all
#: fours the knees are about one thigh (0.8 torso) below the hips; "move_*" are how far the
#: limb that does the exercise travels relative to the pelvis.
TEMPLATES: dict[str, tuple[dict[str, tuple[float, float]], ...]] = {
    "plank": (
        {"torso_up": (8, 10), "side_on": (0.12, 0.12), "knee_up": (-0.15, 0.2),
         "knee_bend": (168, 12), "hands_low": (0.6, 0.25), "move_wrist": (0.05, 0.15),
         "move_ankle": (0.05, 0.15), "move_hip": (0.05, 0.12), "travel": (0.05, 0.2)},
        # the side plank relatives (Copenhagen plank), seen from the front
        {"torso_up": (28, 10), "side_on": (0.5, 0.2), "knee_up": (-0.4, 0.2),
         "hands_low": (0.5, 0.3), "move_hip": (0.03, 0.1), "travel": (0.05, 0.15)},
    ),
    "bird_dog": (
        {"torso_up": (12, 10), "side_on": (0.2, 0.2), "knee_up": (-0.6, 0.3),
         "hands_low": (0.7, 0.35), "knee_bend": (90, 30), "move_wrist": (0.8, 0.5),
         "move_ankle": (0.7, 0.5), "move_hip": (0.05, 0.1), "travel": (0.05, 0.15)},
        # the dead bug relative: on the back, arms and legs up, moving
        {"torso_up": (3, 8), "side_on": (0.15, 0.15), "knee_up": (0.6, 0.3),
         "hands_low": (-0.7, 0.5), "move_wrist": (0.6, 0.6), "move_ankle": (0.4, 0.4),
         "move_hip": (0.02, 0.04), "travel": (0.03, 0.1)},
    ),
    "cat_cow": ({"torso_up": (12, 10), "side_on": (0.2, 0.2), "knee_up": (-0.8, 0.25),
                 "hands_low": (1.0, 0.3), "knee_bend": (90, 25), "move_wrist": (0.05, 0.1),
                 "move_ankle": (0.05, 0.1), "move_hip": (0.06, 0.1), "travel": (0.05, 0.1)},),
    "clamshell": ({"torso_up": (10, 15), "side_on": (0.5, 0.2), "knee_bend": (95, 30),
                   "knee_up": (-0.1, 0.3), "move_knee": (0.4, 0.25), "move_ankle": (0.1, 0.15),
                   "move_wrist": (0.05, 0.15), "travel": (0.05, 0.15)},),
    "side_leg_lift": (
        {"torso_up": (10, 15), "side_on": (0.55, 0.25), "knee_bend": (170, 12),
         "move_ankle": (0.7, 0.4), "move_wrist": (0.1, 0.2), "travel": (0.05, 0.15)},
        # the standing relative (standing side leg raise)
        {"torso_up": (80, 10), "side_on": (0.5, 0.2), "knee_bend": (172, 8),
         "move_ankle": (1.5, 0.6), "move_hip": (0.1, 0.1), "travel": (0.1, 0.2),
         "knee_up": (-0.9, 0.2)},
    ),
    "band_side_walk": ({"torso_up": (78, 15), "side_on": (0.5, 0.2), "knee_bend": (140, 25),
                        "move_ankle": (0.5, 0.3), "move_wrist": (0.1, 0.2), "travel": (0.7, 0.6),
                        "hands_up_max": (-0.5, 0.5)},),
    "monster_walk": ({"torso_up": (72, 10), "side_on": (0.15, 0.15), "knee_bend": (145, 20),
                      "move_ankle": (0.5, 0.3), "move_wrist": (0.1, 0.15), "travel": (0.8, 0.8)},),
    "bridge": (
        {"torso_up": (15, 15), "side_on": (0.15, 0.15), "knee_up": (0.45, 0.2),
         "knee_bend": (80, 20), "move_hip": (0.35, 0.15), "move_ankle": (0.3, 0.3),
         "travel": (0.05, 0.15)},
        # the hip thrust relative: shoulders on a bench, seen obliquely
        {"torso_up": (15, 15), "side_on": (0.3, 0.15), "knee_up": (0.0, 0.2),
         "knee_bend": (90, 20), "move_hip": (0.25, 0.15), "move_ankle": (0.3, 0.3)},
    ),
    "anti_rotation": ({"torso_up": (85, 8), "side_on": (0.45, 0.15), "knee_bend": (165, 15),
                       "hands_low": (0.3, 0.3), "move_wrist": (0.6, 0.4),
                       "move_ankle": (0.05, 0.1), "move_hip": (0.03, 0.08), "travel": (0.05, 0.15),
                       "hands_up_max": (-0.2, 0.4)},),
    "ball_t_rotation": (
        {"torso_up": (20, 20), "hands_up_max": (0.7, 0.5), "move_wrist": (1.2, 0.6),
         "move_ankle": (0.05, 0.15), "travel": (0.05, 0.15), "move_hip": (0.05, 0.1)},
    ),
    "overhead_ball_raise": ({"torso_up": (85, 8), "side_on": (0.15, 0.2), "knee_bend": (90, 20),
                             "knee_up": (-0.7, 0.3), "hands_up_max": (0.9, 0.4),
                             "move_wrist": (1.2, 0.5), "travel": (0.05, 0.15)},),
    "deadlift": ({"torso_up": (55, 25), "torso_range": (50, 35), "side_on": (0.3, 0.25),
                  "knee_bend": (165, 12), "move_wrist": (0.9, 0.5), "move_ankle": (0.4, 0.35),
                  "hands_up_max": (-0.9, 0.4), "travel": (0.3, 0.3), "knee_up": (-0.8, 0.25)},),
    "straight_arm_pulldown": ({"torso_up": (84, 8), "torso_range": (5, 8), "side_on": (0.2, 0.12),
                               "knee_bend": (168, 10), "hands_up_max": (0.2, 0.5),
                               "move_wrist": (1.0, 0.4), "move_ankle": (0.05, 0.1),
                               "travel": (0.05, 0.15)},),
    "squat_to_row": ({"torso_up": (65, 15), "torso_range": (30, 20), "side_on": (0.25, 0.15),
                      "knee_bend": (100, 25), "move_hip": (0.5, 0.25), "move_wrist": (0.5, 0.4),
                      "travel": (0.1, 0.3)},),
}


def score(feats: dict[str, float], template: dict[str, tuple[float, float]]) -> float:
    """Gaussian log-likelihood (up to a constant) of the measured features under ``template``;
    unmeasured features are skipped, and each feature's penalty is capped at 8 (an outlier in
    one feature should not outweigh all the others)."""
    total = 0.0
    for name, (mean, spread) in template.items():
        x = feats.get(name, float("nan"))
        if math.isfinite(x):
            total -= min(8.0, 0.5 * ((x - mean) / spread) ** 2)
        else:
            total -= 1.0  # a feature that cannot be seen is weak evidence against
    return total


def recognize(frames: list[PoseFrame], candidates: tuple[str, ...] | None = None) -> Recognition:
    """Guess the exercise from a run of pose frames (the first few seconds of a set).

    Args:
        frames: raw or smoothed pose frames, in time order.
        candidates: exercise ids to choose from (default: every template).

    Returns:
        The best exercise, its probability, and up to three alternatives. With no person in any
        frame every exercise is equally likely and the guess is unsure.
    """
    feats = features(frames)
    ids = [i for i in TEMPLATES if candidates is None or i in candidates]
    if not ids:
        raise ValueError("no candidate exercise has a recognition template")
    scores = np.array([max(score(feats, t) for t in TEMPLATES[i]) for i in ids])
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    order = np.argsort(-probs)
    best = ids[order[0]]
    alternatives = {ids[k]: round(float(probs[k]), 3) for k in order[1:4]}
    return Recognition(best, round(float(probs[order[0]]), 3), alternatives, feats)
