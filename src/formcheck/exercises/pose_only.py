"""The trivial analyser: track the pose, count nothing, check nothing. Used when the exercise is
not (yet) known, e.g. to export landmarks or test the pipeline on any clip."""

from formcheck.exercises.spec import Exercise

EXERCISE = Exercise(
    id="pose_only",
    name="Pose tracking only",
    aliases=("none", "pose"),
    views=("side", "front", "oblique", "end"),
    camera="Any view with the whole body in frame.",
    cautions=(),
    counting=None,
    description="Tracks and smooths the pose; no counting or form checks.",
)
