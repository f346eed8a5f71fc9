"""Allow ``python -m linked``."""

from linked.cli import main

main()
