"""formcheck's exceptions. Each says in one line what went wrong and what to do about it.

The CLI and the Streamlit app turn these into a one-line message (no traceback); anything else
is a bug. "No person in this frame" is not an error: it is a state of the frame.
"""


class FormcheckError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""


class InputError(FormcheckError):
    """The input file or camera cannot be read (missing, empty, not a video, truncated...)."""


class ModelNotFoundError(FormcheckError):
    """No pose model file could be found or downloaded."""


class ModelLoadError(FormcheckError):
    """A pose model file exists but MediaPipe cannot load it (corrupt or wrong file)."""


class UnknownExerciseError(FormcheckError):
    """The exercise name matches no declared exercise."""


class LandmarkFileError(FormcheckError):
    """A landmark CSV is malformed or lacks landmarks the chosen exercise needs."""


class OutputError(FormcheckError):
    """The output folder cannot be created or written."""


class NoPersonError(FormcheckError):
    """No person was found in any frame of the input, so nothing can be analysed."""


class ClearanceRequired(FormcheckError):
    """The exercise needs a clearance answered yes before the set (the band-assisted deadlift:
    the guide forbids it during back pain) and none was given."""
