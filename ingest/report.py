"""What one ingest did, for humans (a short table) and machines (`--json`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Problem:
    """A file (or URL) and what went wrong with it: a failure, a warning or a skip."""

    path: str
    error: str


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    deleted: int = 0
    failed: list[Problem] = field(default_factory=list)
    files: int = 0
    files_loaded: int = 0
    chunks: int = 0
    warnings: list[Problem] = field(default_factory=list)
    # files in a folder that were not read, and why (another type, a link leading out)
    skipped_files: list[Problem] = field(default_factory=list)
    # sources whose chunks were written or deleted: the sentence vectors follow only these
    touched: set[str] = field(default_factory=set, repr=False)

    @property
    def written(self) -> int:
        """Chunks written: added, updated or deleted."""
        return self.added + self.updated + self.deleted

    @property
    def exit_code(self) -> int:
        """0 all ingested, 1 some files failed, 2 nothing could be ingested."""
        if not self.failed:
            return 0
        return 1 if self.files_loaded else 2

    def to_dict(self) -> dict:
        figures = asdict(self)
        del figures["touched"]
        return figures

    def table(self) -> str:
        rows = [("files", self.files), ("files loaded", self.files_loaded),
                ("chunks", self.chunks), ("added", self.added), ("updated", self.updated),
                ("skipped", self.skipped), ("deleted", self.deleted),
                ("failed", len(self.failed))]
        lines = [f"{name:<13}{value:>8}" for name, value in rows]
        lines += [f"warning: {w.path}: {w.error}" for w in self.warnings]
        lines += [f"skipped: {s.path}: {s.error}" for s in self.skipped_files]
        lines += [f"failed: {f.path}: {f.error}" for f in self.failed]
        return "\n".join(lines)
