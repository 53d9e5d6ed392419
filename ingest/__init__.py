"""Discover, load, split and store documents, idempotently (through `core.index`)."""
