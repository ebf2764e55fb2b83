"""formcheck: rep-by-rep form feedback for low-back-pain rehab exercises from video."""

__version__ = "0.1.0"
