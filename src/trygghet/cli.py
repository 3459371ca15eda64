"""The ``trygghet`` command.

Each subcommand is one stage of the yearly cycle and runs what it needs of
the stages before it. Messages are Swedish, as are the reports. An input
problem prints one readable message and exits with status 2; an unexpected
error prints a short message (``--debug`` shows the traceback) and exits 1.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from . import pipeline
from .config import Project
from .errors import TrygghetError


def _year(text: str) -> int:
    if not text.isdigit() or len(text) != 4:
        raise argparse.ArgumentTypeError(f"ogiltigt år: '{text}'")
    return int(text)


def _cmd_clean(args: argparse.Namespace) -> None:
    project = Project.find(args.root)
    pipeline.clean_year(project, args.year, input_path=args.input, mapping_path=args.mapping,
                        echo=print)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trygghet",
        description="Trygghetsmätning → vägda resultat och rapporter om medborgarlöften.",
    )
    parser.add_argument("--root", type=Path, default=None,
                        help="projektmappen (standard: den som innehåller arbetsmappen)")
    parser.add_argument("--debug", action="store_true", help="visa hela felspåret vid fel")
    sub = parser.add_subparsers(dest="command", required=True, metavar="KOMMANDO")

    p = sub.add_parser("clean", help="läs in och tvätta en enkätexport")
    p.add_argument("--year", type=_year, required=True, help="enkätår, t.ex. 2020")
    p.add_argument("--input", type=Path, help="exportfil (standard: mappningens source.file)")
    p.add_argument("--mapping", type=Path, help="mappningsfil (standard: config/surveys/<år>.yml)")
    p.set_defaults(func=_cmd_clean)

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except TrygghetError as err:
        print(f"fel: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("avbrutet", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the user sees a message, never a traceback
        if args.debug:
            traceback.print_exc()
        print(f"oväntat fel: {type(err).__name__}: {err}\n"
              "  Kör igen med --debug för detaljer och rapportera felet.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
