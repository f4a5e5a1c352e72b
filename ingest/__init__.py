"""gtm-warehouse ingestion, demo world and command line."""
