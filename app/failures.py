"""The last resort of the command line: a failure no check foresaw is still one line with
its cause and what to do, and its traceback shows only with `--log-level DEBUG`."""

from __future__ import annotations

from pathlib import Path

from core.index.damage import first_line, storage_problem


def describe_failure(exc: Exception) -> str:
    """One line for `exc`: a full disk, a read-only one, a size limit... (the file named,
    else the data dir), the file and the reason for another OS error, else the exception."""
    where = Path(exc.filename) if isinstance(exc, OSError) and exc.filename else _data_dir()
    if where is not None and (problem := storage_problem(where, exc)) is not None:
        return str(problem)
    if isinstance(exc, OSError) and exc.filename:
        return (f"{exc.filename}: {exc.strerror or first_line(exc)}: check that the path "
                "exists and can be written (DOCENT_DATA_DIR names the data dir)")
    return (f"unexpected {type(exc).__name__}: {first_line(exc)} (run with "
            "--log-level DEBUG for the details, and please report it)")


def _data_dir() -> Path | None:
    """The configured data dir (where a store error most likely comes from), if readable."""
    from core.settings import Settings

    try:
        return Settings().data_dir
    except Exception:  # settings that do not load were reported before any store use
        return None
