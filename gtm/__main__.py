"""Allow `python -m gtm` as a synonym for `gtm`."""

from gtm.cli import main

main()
