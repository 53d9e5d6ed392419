"""`python -m ingest PATH…`: the same as `python -m app ingest PATH…`."""

import sys

from app.cli import main

sys.exit(main(["ingest", *sys.argv[1:]]))
