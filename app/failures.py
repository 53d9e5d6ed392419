"""The last resort of the command line: a failure no check foresaw is still one line with
its cause and what to do, and its traceback shows only with `--log-level DEBUG`."""

from __future__ import annotations

from core.index.damage import first_line


def describe_failure(exc: Exception) -> str:
    """One line for `exc`: the file and the reason for an OS error, else the exception."""
    if isinstance(exc, OSError) and exc.filename:
        return (f"{exc.filename}: {exc.strerror or first_line(exc)}: check that the path "
                "exists and can be written (DOCENT_DATA_DIR names the data dir)")
    return (f"unexpected {type(exc).__name__}: {first_line(exc)} (run with "
            "--log-level DEBUG for the details, and please report it)")
