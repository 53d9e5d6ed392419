"""What `ingest --watch` prints: one line per changed file, then one per batch."""

from __future__ import annotations

import json

from ingest.completeness import Stored
from ingest.report import IngestReport


def _line(change: str, path: str, as_json: bool, **figures: object) -> str:
    if as_json:
        return json.dumps({"change": change, "path": path, **figures}, ensure_ascii=False)
    if "error" in figures:
        return f"{change:<8} {path}: {figures['error']}"
    counts = f"{figures['chunks']} chunks" + (
        f", was {figures['was']}" if "was" in figures else "")
    return f"{change:<8} {path} ({counts})"


def changes(before: Stored, after: Stored, report: IngestReport, *, as_json: bool = False
            ) -> list[str]:
    """A line per source added, updated, removed or renamed between two scans of the store
    (a removed and an added source with the same content are a rename), then the failures,
    warnings and skipped files of the report."""
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    renamed: dict[str, str] = {}
    for old in removed:
        new = next((n for n in added if n not in renamed.values()
                    and after[n][0] == before[old][0]), None)
        if new is not None:
            renamed[old] = new
    lines = []
    for old, new in renamed.items():
        path = new if as_json else f"{old} → {new}"
        lines.append(_line("renamed", path, as_json, chunks=after[new][1],
                           **({"from": old} if as_json else {})))
    lines += [_line("added", s, as_json, chunks=after[s][1])
              for s in added if s not in renamed.values()]
    lines += [_line("updated", s, as_json, chunks=after[s][1], was=before[s][1])
              for s in sorted(set(before) & set(after)) if before[s] != after[s]]
    lines += [_line("removed", s, as_json, chunks=before[s][1])
              for s in removed if s not in renamed]
    for kind, problems in (("failed", report.failed), ("warning", report.warnings),
                           ("skipped", report.skipped_files)):
        lines += [_line(kind, p.path, as_json, error=p.error) for p in problems]
    return lines


def progress_line(what: str, report: IngestReport, stored: Stored, seconds: float, *,
                  as_json: bool = False) -> str:
    """One batch in figures: files read, chunks written and deleted, and the index now."""
    figures = {"files": report.files, "added": report.added, "updated": report.updated,
               "deleted": report.deleted, "failed": len(report.failed),
               "seconds": round(seconds, 2), "index_files": len(stored),
               "index_chunks": sum(count for _, count in stored.values())}
    if as_json:
        return json.dumps({"event": what, **figures})
    return (f"{what} in {seconds:.1f} s: {report.files} files checked, {report.added} chunks "
            f"added, {report.updated} updated, {report.deleted} deleted, "
            f"{len(report.failed)} failed; index: {figures['index_files']} files, "
            f"{figures['index_chunks']} chunks")
