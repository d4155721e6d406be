"""`python -m lab vcsim|vra|aria|build|devstack`: start a local lab, build the vCenter lab, or
deploy / destroy the dev stack against both labs (`make up` / `make down`)."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    usage = "usage: python -m lab {vcsim|vra|aria|build|devstack} [options] (--help after it)"
    if not argv or argv[0] in {"-h", "--help"}:
        print(usage)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "vcsim":
        from lab.vcsim.cli import main as run
    elif command == "vra":
        from lab.vra.cli import main as run
    elif command == "aria":
        from lab.aria.cli import main as run
    elif command == "build":
        from lab.vcsim.build import main as run
    elif command == "devstack":
        from lab.devstack import main as run
    else:
        print(f"unknown lab command {command!r}; {usage}", file=sys.stderr)
        return 2
    return run(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
