"""The session store for therapist review: patients (by pseudonym), sessions, sets, reps,
holds, pain stops, flagged-rep clips and reviews, in SQLite or any SQLAlchemy database.

Entry points: :func:`open_store`, :class:`Store` (the repository API), :class:`SetRecorder`
(writes a set rep by rep), :func:`save_analysis` (stores a finished ``formcheck analyze`` run).
Needs the ``store`` extra (SQLAlchemy, Alembic, fpdf2).
"""

from formcheck.store.db import Store, StoreError, StoreUnavailable, check_pseudonym, open_store
from formcheck.store.location import database_url
from formcheck.store.recorder import SetRecorder, content_key, make_clips, save_analysis, source_key
from formcheck.store.records import SavedSet

__all__ = ["SavedSet", "SetRecorder", "Store", "StoreError", "StoreUnavailable", "check_pseudonym", "content_key",
           "database_url", "make_clips", "open_store", "save_analysis", "source_key"]
