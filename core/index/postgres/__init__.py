"""The index in PostgreSQL (DOCENT_DATABASE_URL): connections and schema (`connection`),
the index backend (`backend`), the ingest lock (`lock`) and chat checkpoints
(`checkpoints`). Needs the `postgres` extra; docs/deployment.md."""
