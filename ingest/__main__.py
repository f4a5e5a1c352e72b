"""Allow `python -m ingest` as a synonym for `gtm`."""

from ingest.cli import main

main()
