"""Several ingest workers sharing a folder, on PostgreSQL (DOCENT_DATABASE_URL): every
`docent ingest FOLDER` enqueues the files it finds (core/index/postgres/jobs.py) and then
ingests queued files one at a time until none is left, so a second one started on the
same folder, here or on another machine, takes its share. Each worker says on stderr what
became of each file it took, and at the end its share of the queue's work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.lock import LOCK_WAIT_S
from ingest.pipeline import PathOrUrl, expand_roots, ingest_items, merge_keyword_segments
from ingest.progress import file_done_line, progress_line, shares_line
from ingest.report import IngestReport, Problem

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from core.index.postgres.jobs import Job
    from core.settings import Settings


def ingest_shared(
    roots: Sequence[PathOrUrl],
    settings: Settings,
    *,
    prune: bool = False,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    follow_links: bool = False,
    wait_s: float = LOCK_WAIT_S,
    model: Embeddings | None = None,
) -> IngestReport:
    """`ingest.pipeline.ingest_paths` shared with the other workers of the database: the
    files found go to the queue, and this worker ingests queued files (each in its own
    `ingest_items` call) until none is left, those of other workers included, so a file
    whose worker died is done by another. The report is of the files this worker did.
    URLs are read here; `prune` runs once the queue is empty, and then the keyword index's
    segments are merged if the workers wrote enough chunks while this one ran."""
    from core.index.generation import read_generations
    from core.index.postgres.jobs import JobQueue

    report = IngestReport()
    items, paths = expand_roots(roots, settings, report, tuple(include), tuple(exclude),
                           follow_links)
    if not (items or paths) and report.failed:
        return report  # nothing given exists: nothing to queue or open

    def ingest(batch: Sequence[tuple[PathOrUrl, str]], prune_under: Sequence[Path] = ()
               ) -> IngestReport:
        part = ingest_items(batch, settings, IngestReport(), prune_under=prune_under,
                            wait_s=wait_s, model=model, follow_links=follow_links,
                            merge_later=True)
        _add(report, part)
        return part

    def do(job: Job) -> None:
        part = ingest([(Path(job.path), job.source)])
        queue.note_done(part.written, bool(part.failed))
        progress_line(file_done_line(job.source, part))

    def give_up(job: Job) -> None:
        part = IngestReport(files=1, failed=[Problem(job.path, (
            f"the worker reading it stopped {job.tries - 1} times (killed, out of memory?): "
            "given up until the next ingest"))])
        _add(report, part)
        queue.note_done(0, True)
        progress_line(file_done_line(job.source, part))

    assert settings.database_url  # the caller's choice of this path
    with JobQueue(settings.database_url, settings.collection) as queue:
        queue.enqueue((source, str(item)) for item, source in items if isinstance(item, Path))
        queue.work(do, give_up)
        urls = [(item, source) for item, source in items if isinstance(item, str)]
        written = 0
        if urls or (prune and paths):
            # prune only under paths that exist: an unmounted drive must not empty the index
            written = ingest(urls, paths if prune else ()).written
        mine, others = queue.shares()
    progress_line(shares_line(mine, others))
    merge_keyword_segments(settings, read_generations(settings).active,
                           mine.written + others.written + written, report)
    return report


def _add(report: IngestReport, part: IngestReport) -> None:
    """Add one file's report to the run's."""
    for figure in fields(IngestReport):
        total, more = getattr(report, figure.name), getattr(part, figure.name)
        if isinstance(total, set):
            total |= more
        elif isinstance(total, list):
            total += more
        else:
            setattr(report, figure.name, total + more)
