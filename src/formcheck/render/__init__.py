"""Synthetic exercise videos with known ground truth (``formcheck render``).

A body on formcheck's joint tree (:mod:`.skeleton`) is posed through each exercise's keyframes
(:mod:`.motions`, data) with faults dialled in (:mod:`.animate`), filmed by a pinhole camera
(:mod:`.camera`) through headless OpenGL (:mod:`.scene`, the only module that needs moderngl),
and written as an H.264 MP4 plus a ``.truth.json`` (:mod:`.truth`). Two independently built
bodies (:mod:`.bodies`): the mannequin of ellipsoids and capsules (:mod:`.skeleton`) and
MakeHuman's skinned mesh (:mod:`.makehuman`), each in named body-shape presets.
"""

from .bodies import BODY_MODELS, BODY_PRESETS
from .command import RenderSpec, load_truth, render_clip, truth_path_for
from .motions import MOTIONS
from .scene import RenderUnavailableError
from .truth import RenderTruth

__all__ = [
    "BODY_MODELS",
    "BODY_PRESETS",
    "MOTIONS",
    "RenderSpec",
    "RenderTruth",
    "RenderUnavailableError",
    "load_truth",
    "render_clip",
    "truth_path_for",
]
