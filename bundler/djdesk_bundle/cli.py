"""Placeholder entry point; the stages land with issue 4."""

import sys


def main(argv: list[str] | None = None) -> int:
    print("djdesk-bundle: not implemented yet", file=sys.stderr)
    return 2
