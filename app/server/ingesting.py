"""Where the server's ingests (an upload, a path) run: in a child process,
`python -m app ingest --json PATH…`, which the server kills when it stops. An ingest in a
worker thread could not be stopped: SIGTERM closed the port and the process lived on until
the file was done (a hostile spreadsheet: minutes). Killing the child loses nothing stored
(ingest is crash-safe, docs/reliability.md) and frees the ingest lock with it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from app.server.errors import Refused
from core.errors import DocentError
from core.resources import Resources
from core.settings import Settings

IngestRun = Callable[[Resources, Sequence[Path | str]], Awaitable[dict[str, Any]]]


def report_dict(report: Any) -> dict[str, Any]:
    """An `IngestReport` as the documents API answers it: figures, exit code, table."""
    return {**report.to_dict(), "exit_code": report.exit_code, "table": report.table()}


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process these settings (DOCENT_…), whatever
    the server's own environment and `.env` say."""
    env = dict(os.environ)
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            env[f"DOCENT_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


async def in_child_process(resources: Resources, paths: Sequence[Path | str]
                           ) -> dict[str, Any]:
    """Ingest `paths` in `python -m app ingest --json`; killed (with anything it started)
    when the request is cancelled, as at the server's shutdown."""
    from ingest.report import IngestReport, Problem

    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "ingest", "--json", "--", *map(str, paths),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=settings_env(resources.settings), start_new_session=True)
    try:
        out, err = await child.communicate()
    except asyncio.CancelledError:  # the server is stopping: the request ends here
        os.killpg(child.pid, signal.SIGKILL)
        raise Refused(503, "docent stopped while ingesting; what was stored is kept: "
                      "ingest the rest again", "stopped") from None
    try:
        figures: dict[str, Any] = json.loads(out)
    except ValueError:  # it stopped before its report: its stderr's last line says why
        said = err.decode(errors="replace").strip().splitlines()
        raise DocentError(said[-1] if said else f"ingest exited with {child.returncode}"
                          ) from None
    problems = {name: [Problem(**p) for p in figures[name]]
                for name in ("failed", "warnings", "skipped_files")}
    return report_dict(IngestReport(**{**figures, **problems}))


async def in_this_process(resources: Resources, paths: Sequence[Path | str]
                          ) -> dict[str, Any]:
    """Ingest `paths` in a worker thread with the server's own embedding model: for an
    injected model no child can load (tests' fakes); SIGTERM waits for it."""
    from ingest.pipeline import ingest_paths

    report = await asyncio.to_thread(ingest_paths, paths, resources.settings,
                                     model=resources.embeddings())
    return report_dict(report)
