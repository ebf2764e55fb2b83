"""Which exercise is this? A nearest-template guess from the first seconds of pose.

:func:`features` summarises a short run of pose frames in a dozen numbers that tell the
declared exercises apart (posture, camera view, which limbs move and how far, whether the body
travels); each exercise declares, in its own module, the value it expects of each feature and
how far it may stray (a Gaussian: mean, spread; ``Exercise.recognition``, a tuple of
:class:`~formcheck.exercises.spec.Template`), written from its geometry. The score of a
template is the Gaussian log-likelihood of the features it constrains (features that
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
from dataclasses import fields as dataclass_fields

import numpy as np

from formcheck.body import Body
from formcheck.exercises import all_exercises
from formcheck.exercises.spec import Template
from formcheck.frames import PoseFrame
from formcheck.geometry import elevation, joint_angle

#: The features, in the order :class:`~formcheck.exercises.spec.Template` declares them.
FEATURES = tuple(f.name for f in dataclass_fields(Template))
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
    if not bodies:
        return dict.fromkeys(FEATURES, nan)
    torso = _median([b.torso_length_px for b in bodies])
    if not math.isfinite(torso) or torso <= 0:
        return dict.fromkeys(FEATURES, nan)
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


def templates() -> dict[str, tuple[Template, ...]]:
    """Exercise id -> its recognition templates (:attr:`Exercise.recognition`), for every
    exercise that declares any."""
    return {i: ex.recognition for i, ex in all_exercises().items() if ex.recognition}


def score(feats: dict[str, float], template: Template) -> float:
    """Gaussian log-likelihood (up to a constant) of the measured features under ``template``;
    unmeasured features are skipped, and each feature's penalty is capped at 8 (an outlier in
    one feature should not outweigh all the others)."""
    total = 0.0
    for name, (mean, spread) in template.expected().items():
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
        candidates: exercise ids to choose from (default: every exercise with a template).

    Returns:
        The best exercise, its probability, and up to three alternatives. With no person in any
        frame every exercise is equally likely and the guess is unsure.
    """
    feats = features(frames)
    known = templates()
    ids = [i for i in known if candidates is None or i in candidates]
    if not ids:
        raise ValueError("no candidate exercise has a recognition template")
    scores = np.array([max(score(feats, t) for t in known[i]) for i in ids])
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    order = np.argsort(-probs)
    best = ids[order[0]]
    alternatives = {ids[k]: round(float(probs[k]), 3) for k in order[1:4]}
    return Recognition(best, round(float(probs[order[0]]), 3), alternatives, feats)
