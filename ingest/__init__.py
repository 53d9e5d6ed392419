"""Load, split, embed and store documents, idempotently."""
