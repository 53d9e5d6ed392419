"""docent's commands: cli, ask, chat, eval, doctor. Nothing imports this package."""

import core  # noqa: F401  (offline environment before any model library loads)
