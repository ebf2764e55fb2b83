"""``formcheck sessions ...``: thin Typer shells over the store, registered by
:mod:`formcheck.cli` (``app.add_typer(sessions_app, name="sessions")``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from formcheck.errors import FormcheckError
from formcheck.store.db import open_store

sessions_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                           help="Stored sessions for therapist review: list, show, export, delete.")

DbOption = Annotated[str | None, typer.Option(
    "--db", envvar="FORMCHECK_DATABASE_URL", show_envvar=True,
    help="database URL (default: SQLite in the data folder)")]
DataDirOption = Annotated[Path | None, typer.Option(
    "--data-dir", envvar="FORMCHECK_DATA_DIR", show_envvar=True, help="data folder (database, clips)")]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"formcheck: error: {message}", err=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def _store(db: str | None, data_dir: Path | None) -> Iterator:
    try:
        store = open_store(db, data_dir)
    except (FormcheckError, ValueError) as exc:
        _fail(str(exc))
    try:
        yield store
    except (FormcheckError, ValueError) as exc:
        _fail(str(exc))
    finally:
        store.close()


@sessions_app.command("list")
def list_sessions(
    patient: Annotated[str | None, typer.Option("--patient", "-p", help="only this patient")] = None,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 50,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """List stored sessions, newest first."""
    with _store(db, data_dir) as store:
        rows = store.sessions(patient, limit=limit)
        if not rows:
            typer.echo("no sessions stored" + (f" for {patient}" if patient else ""))
            return
        typer.echo(f"{'id':>5}  {'date (UTC)':16}  {'patient':16}  {'exercise':16}  {'status':12}  "
                   f"{'items':>5}  {'flagged':>7}  {'to review':>9}  {'score':>5}")
        for s in rows:
            for st in s.sets or ():
                score = f"{st.score:.0f}" if st.score is not None else "-"
                typer.echo(f"{s.id:>5}  {s.started_at:%Y-%m-%d %H:%M}  {s.patient[:16]:16}  "
                           f"{st.exercise[:16]:16}  {st.status:12}  {st.items:>5}  {st.flagged:>7}  "
                           f"{st.to_review:>9}  {score:>5}")
            if not s.sets:
                typer.echo(f"{s.id:>5}  {s.started_at:%Y-%m-%d %H:%M}  {s.patient[:16]:16}  (no sets)")


@sessions_app.command("show")
def show_session(
    session_id: Annotated[int, typer.Argument(help="session id (see `formcheck sessions list`)")],
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Show one session: its sets, every rep or hold with flags, and the therapists' verdicts."""
    with _store(db, data_dir) as store:
        d = store.session_detail(session_id)
        s = d.summary
        typer.echo(f"session {s.id}: {s.patient}, {s.started_at:%Y-%m-%d %H:%M} UTC, {s.source}"
                   + (f" ({s.source_name})" if s.source_name else ""))
        for st in d.sets:
            sm = st.summary
            score = f"{sm.score:.0f}/100" if sm.score is not None else "-"
            typer.echo(f"  set {sm.id}: {sm.exercise_name}, {sm.status}"
                       + (f" ({sm.status_reason})" if sm.status_reason else "") + f", score {score}")
            for t_s, note in st.pain_stops:
                typer.echo(f"    pain stop at {t_s or 0:.1f}s" + (f": {note}" if note else ""))
            for it in st.items:
                verdict = ", ".join(f"{c} {v}d" if v == "agree" else f"{c} overruled"
                                    for c, v in sorted(it.verdicts.items()))
                flags = "flagged: " + ", ".join(it.flags) if it.flags else "pass"
                score = f"{it.score:.0f}" if it.score is not None else "-"
                typer.echo(f"    {it.label:14} {it.start_s:6.1f}-{it.end_s:6.1f}s  score {score:>3}  {flags}"
                           + (f"  [{verdict}]" if verdict else "")
                           + ("  (awaiting review)" if it.flags and it.needs_review else "")
                           + ("  clip" if it.clip else ""))
                for r in it.reviews:
                    if r.note:
                        typer.echo(f"        note by {r.reviewer or '?'} {r.created_at:%Y-%m-%d %H:%M}: {r.note}")


@sessions_app.command("export")
def export_session(
    session_id: Annotated[int, typer.Argument(help="session id")],
    out: Annotated[Path, typer.Option("--out", "-o", help="folder to write into")] = Path("."),
    csv: Annotated[bool, typer.Option("--csv/--no-csv", help="write the reps CSV")] = True,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="write the PDF report")] = True,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Export a session: session-<id>-reps.csv and session-<id>.pdf (a printable report)."""
    from formcheck.store.export import write_reps_csv, write_session_pdf

    with _store(db, data_dir) as store:
        d = store.session_detail(session_id)
        try:
            out.mkdir(parents=True, exist_ok=True)
            written = []
            if csv:
                written.append(write_reps_csv(d, out / f"session-{d.summary.id}-reps.csv"))
            if pdf:
                written.append(write_session_pdf(d, out / f"session-{d.summary.id}.pdf",
                                                 store.progress(d.summary.patient)))
        except OSError as exc:
            _fail(f"cannot write to {out}: {exc.strerror or exc}")
        typer.echo("wrote " + ", ".join(str(p) for p in written))


@sessions_app.command("delete")
def delete(
    session_id: Annotated[int | None, typer.Argument(help="session id to delete")] = None,
    patient: Annotated[str | None, typer.Option("--patient", "-p",
                                                   help="delete this patient and everything of theirs")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Delete one session, or (--patient) a patient with all their sessions, reviews and clips."""
    if (session_id is None) == (patient is None):
        _fail("give a session id or --patient PSEUDONYM (not both)")
    with _store(db, data_dir) as store:
        if patient is not None:
            info = store.patient(patient)
            what = f"patient {info.pseudonym} with all their sessions, reviews and clips"
        else:
            store.session_detail(session_id)  # fails cleanly when absent
            what = f"session {session_id}"
        if not yes and not typer.confirm(f"Delete {what}?"):
            raise typer.Exit(1)
        removed = store.delete_patient(patient) if patient is not None else store.delete_session(session_id)
        typer.echo(f"deleted {what} ({removed} clip file{'s' if removed != 1 else ''} removed)")


@sessions_app.command("patient")
def patient_cmd(
    pseudonym: Annotated[str, typer.Argument(help="the patient's pseudonym (no real names)")],
    clips: Annotated[bool | None, typer.Option("--clips/--no-clips",
                                                  help="keep clips of flagged reps (opt-in)")] = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Add a patient (or change their clip opt-in) and show their limits."""
    with _store(db, data_dir) as store:
        info = store.add_patient(pseudonym, clips_opt_in=bool(clips))
        if clips is not None and info.clips_opt_in != clips:
            store.set_clips_opt_in(pseudonym, clips)
        info = store.patient(pseudonym)
        typer.echo(f"patient {info.pseudonym}: clips {'kept' if info.clips_opt_in else 'not kept'}")
        for ex, limits in sorted(store.limits(pseudonym).items()):
            typer.echo(f"  {ex}: " + ", ".join(f"{c}={v:g}" for c, v in sorted(limits.items())))
        for kind, (cap, reason) in sorted(store.caps(pseudonym).items()):
            typer.echo(f"  {kind} cap: {cap:g} deg" + (f" ({reason})" if reason else ""))
