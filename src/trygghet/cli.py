"""The ``trygghet`` command.

Each subcommand is one stage of the yearly cycle and runs what it needs of
the stages before it. Messages are Swedish, as are the reports. An input
problem prints one readable message and exits with status 2; an unexpected
error prints a short message (``--debug`` shows the traceback) and exits 1.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
from pathlib import Path

from . import pipeline
from .config import MARKER, Project
from .errors import TrygghetError
from .render import sigterm_as_interrupt


def _year(text: str) -> int:
    if not text.isdigit() or len(text) != 4:
        raise argparse.ArgumentTypeError(f"ogiltigt år: '{text}'")
    return int(text)


def _jobs(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"ska vara ett heltal ≥ 1, inte '{text}'")
    return int(text)


def _year_stage(sub: argparse._SubParsersAction, name: str, func, help_: str,
                year_help: str) -> argparse.ArgumentParser:
    """A subcommand that runs one stage for one year (``--year`` its only argument)."""
    p = sub.add_parser(name, help=help_)
    p.add_argument("--year", type=_year, required=True, help=year_help)
    p.set_defaults(func=func)
    return p


# argparse's own messages, in Swedish (the rest of a message is quoted as it is).
_ARGPARSE_SV = [
    (r"the following arguments are required: (.*)", r"följande argument krävs: \1"),
    (r"argument (\S+): invalid choice: (.*) \(choose from (.*)\)",
     r"argumentet \1: ogiltigt val \2 (välj bland \3)"),
    (r"argument (\S+): invalid int value: (.*)", r"argumentet \1: \2 är inte ett heltal"),
    (r"argument (\S+): invalid \S+ value: (.*)", r"argumentet \1: ogiltigt värde \2"),
    (r"argument (\S+): expected one argument", r"argumentet \1: värde saknas"),
    (r"argument (\S+): not allowed with argument (.*)",
     r"argumentet \1 kan inte kombineras med \2"),
    (r"argument (\S+): (.*)", r"argumentet \1: \2"),
    (r"unrecognized arguments: (.*)", r"okända argument: \1"),
    (r"one of the arguments (.*) is required", r"ett av argumenten \1 krävs"),
    (r"ambiguous option: (\S+) could match (.*)", r"tvetydigt argument \1 (kan vara \2)"),
]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one Swedish message, as every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        for pattern, swedish in _ARGPARSE_SV:
            if re.fullmatch(pattern, message, flags=re.DOTALL):
                message = re.sub(pattern, swedish, message, flags=re.DOTALL)
                break
        self.exit(2, f"fel: {message}\n  Åtgärd: se {self.prog} --help\n")


def _cmd_clean(args: argparse.Namespace) -> None:
    project = Project.find(args.root)
    pipeline.clean_year(project, args.year, input_path=args.input, mapping_path=args.mapping,
                        echo=print)


def _cmd_estimate(args: argparse.Namespace) -> None:
    project = Project.find(args.root)
    pipeline.estimate_year(project, args.year, echo=print)


def _cmd_promises(args: argparse.Namespace) -> None:
    project = Project.find(args.root)
    pipeline.promises_year(project, args.year, echo=print)


def _cmd_init(args: argparse.Namespace) -> None:
    from .workspace import init_workspace

    written = init_workspace(args.path, args.municipality)
    root = args.path.resolve()
    print(f"Skapade arbetsytan för {args.municipality.strip()} i {root}:")
    for path in written:
        print(f"  {path.relative_to(root)}")
    print(f"Läs {root / 'README.md'}: lägg exporten i data/raw/<år>/ och skriv "
          "mappningen config/surveys/<år>.yml.")


def _cmd_sample(args: argparse.Namespace) -> None:
    from . import sample  # only this command needs the generator
    from .config import example_workspace, load_settings

    # Without --root the example, never the workspace of the working folder: synthetic
    # data written among a municipality's own would be reported as real.
    project = Project.find(args.root or example_workspace())
    if not load_settings(project)["synthetic_data"]:
        raise TrygghetError("arbetsytan är för riktiga data (synthetic_data: false); "
                            "syntetiska exempeldata skrivs inte dit", file=project.root / MARKER,
                            hint="utan --root skrivs exemplet examples/trollhattan")
    seed = sample.DEFAULT_SEED if args.seed is None else sample.check_seed(args.seed)
    print(f"Skapar syntetiska exempeldata i {project.root} med frö {seed} …")
    result = sample.generate(project.root, seed=seed)
    for line in sample.summary(result, project.root):
        print(line)


def _cmd_report(args: argparse.Namespace) -> None:
    from .render import worker_pool

    # Several workspaces (a police region's municipalities): one after the other, in
    # one pool of workers whose libraries and kernels stay warm (issue 19).
    roots = args.roots or [args.root]
    formats = ("html", "pdf") if args.format == "both" else (args.format,)
    with worker_pool(args.jobs if len(roots) > 1 else 1):
        for root in roots:
            project = Project.find(root)
            areas = list(args.area or [])
            if args.all_areas:
                from .mapping import load_mapping, used_mapping

                areas = list(load_mapping(used_mapping(project, args.year)[0],
                                          project.questionnaire).areas)
            if len(roots) > 1:
                print(f"== {project.root}")
            pipeline.report_year(project, args.year, formats=formats, areas=areas,
                                 jobs=args.jobs, echo=print)


def _cmd_population(args: argparse.Namespace) -> None:
    from . import population_import as pi
    from . import scb
    from .config import load_settings
    from .mapping import load_mapping

    project = Project.find(args.root)
    if args.areas_from_deso and not args.area_codes:
        raise TrygghetError("--areas-from-deso kräver --area-codes FIL",
                            hint="en fil med områdenas DeSO- eller RegSO-koder, t.ex. "
                                 "Centrum: [1488C1010, 1488C1020]")
    if args.area_codes and not args.areas_from_deso:
        raise TrygghetError("--area-codes kräver --areas-from-deso FIL",
                            hint="SCB:s tabell Folkmängd per region (DeSO/RegSO), ålder och kön")
    max_age = args.max_age
    if max_age is None:
        max_age = load_settings(project)["population_import"]["max_age"]
    groups = pi.AgeGroups.make(max_age=max_age)
    areas = None
    if args.area_codes:
        areas = scb.read_area_codes(args.area_codes)
        if project.mapping(args.year).exists():
            known = load_mapping(project.mapping(args.year), project.questionnaire).area_names
            areas = pi.check_area_names(areas, known, args.area_codes)
    result = pi.import_population(args.file, args.year, regions=args.region, groups=groups,
                                   areas=areas, area_path=args.areas_from_deso)
    out = args.output or project.reference / f"population_{args.year}.csv"
    for line in pi.summary(result, args.year, groups, args.file):
        print(line)
    if "area" not in result.totals:
        print("  obs: inga områden (lägg till --areas-from-deso och --area-codes om "
              "viktningen använder area)")
    pi.write_population(result.frame, out)
    print(f"  skrev {out}")


def _cmd_open_data(args: argparse.Namespace) -> None:
    from .opendata_package import release_year

    project = Project.find(args.root)
    release_year(project, args.year, echo=print, required=True)


# --- trygghet questions: the workspace's questionnaire (issue 13) ---------------------------

def _cmd_questions(args: argparse.Namespace) -> None:
    from .questionnaire import describe, questionnaire_file

    project = Project.find(args.root)
    path = questionnaire_file(project)
    source = (str(path.relative_to(project.root)) if path.is_relative_to(project.root)
              else "standardformuläret")
    mapped = None
    if args.year is not None and project.mapping(args.year).exists():
        from .mapping import load_mapping

        mapped = load_mapping(project.mapping(args.year), project.questionnaire).asked
    for line in describe(project.questionnaire, args.year, source, mapped):
        print(line)


def _add_questions(sub) -> None:
    p = sub.add_parser("questions", help="visa frågeformulärets frågor, id, skalor och "
                       "indikatorer (config/frageformular.yml)")
    p.add_argument("--year", type=_year, default=None,
                   help="visa bara det som frågades det året, t.ex. 2021")
    p.set_defaults(func=_cmd_questions)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="trygghet",
        description="Trygghetsmätning → vägda resultat och rapporter om medborgarlöften.",
    )
    parser.add_argument("--root", type=Path, default=None,
                        help="arbetsytan (standard: den som innehåller arbetsmappen; "
                             "trygghet init skapar en)")
    parser.add_argument("--debug", action="store_true", help="visa hela felspåret vid fel")
    sub = parser.add_subparsers(dest="command", required=True, metavar="KOMMANDO")

    p = sub.add_parser("init", help="skapa en arbetsyta för en kommun: inställningar, "
                                    "frågeformulär, mappar och en README")
    p.add_argument("path", type=Path, metavar="MAPP", help="ny eller tom mapp")
    p.add_argument("--municipality", required=True, metavar="KOMMUN",
                   help="kommunens namn, t.ex. Vänersborg")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("clean", help="läs in och tvätta en enkätexport")
    p.add_argument("--year", type=_year, required=True, help="enkätår, t.ex. 2020")
    p.add_argument("--input", type=Path, help="exportfil (standard: mappningens source.file)")
    p.add_argument("--mapping", type=Path, help="mappningsfil (standard: config/surveys/<år>.yml)")
    p.set_defaults(func=_cmd_clean)

    _year_stage(sub, "estimate", _cmd_estimate,
                "vikta och skatta: andelar och index med konfidensintervall, förändring, "
                "röjandekontroll", "enkätår, t.ex. 2020 (kör clean först om det behövs)")
    _year_stage(sub, "promises", _cmd_promises,
                "följ upp medborgarlöftet: status och motivering per inriktning",
                "löftets år, t.ex. 2020 (läser data/reference/medborgarlofte_<år>.yml)")

    p = sub.add_parser("sample", help="återskapa de syntetiska exempeldata (data/raw/, "
                                      "data/reference/ i examples/trollhattan eller --root)")
    p.add_argument("--seed", type=int, default=None,
                   help="frö för slumptalen; samma frö ger samma filer (standard: fröet "
                        "som de medföljande filerna skapades med)")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("report", help="årsrapporterna: trygghetsrapport och löftesuppföljning "
                       "som HTML och PDF (kör det som saknas av clean, estimate och promises)")
    p.add_argument("--year", type=_year, required=True, help="rapportår, t.ex. 2020")
    p.add_argument("--format", choices=("html", "pdf", "both"), default="both",
                   help="utdataformat (standard: both)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--area", action="append", metavar="OMRÅDE",
                       help="gör också en trygghetsrapport för området (kan upprepas)")
    where.add_argument("--all-areas", action="store_true",
                       help="gör också en trygghetsrapport för varje område")
    p.add_argument("--jobs", type=_jobs, default=2,
                   help="parallella processer, minst 1 (standard: 2)")
    p.add_argument("--root", dest="roots", type=Path, action="append", metavar="MAPP",
                   help="arbetsmapp (kan upprepas: rapporterna för flera kommuner i en "
                        "körning, t.ex. ett polisområde)")
    p.set_defaults(func=_cmd_report)

    _year_stage(sub, "open-data", _cmd_open_data,
                "öppna data: skattningarna som CSV med datapaket och DCAT-AP-SE-beskrivning "
                "(reports/<år>/oppna-data/)", "enkätår, t.ex. 2020 (kör estimate först)")

    p = sub.add_parser("population", help="befolkningsuppgifter för viktningen")
    psub = p.add_subparsers(dest="population_command", required=True, metavar="KOMMANDO")
    q = psub.add_parser("import", help="läs SCB:s befolkningstabell (CSV eller xlsx) och skriv "
                                       "årets befolkningsfil")
    q.add_argument("file", type=Path, metavar="FIL",
                   help="tabellen från SCB:s statistikdatabas (region, ålder, kön, år)")
    q.add_argument("--year", type=_year, required=True, help="året att läsa, t.ex. 2025")
    q.add_argument("--region", action="append", metavar="REGION",
                   help="kommunens kod eller namn (kan upprepas; behövs om filen har flera)")
    q.add_argument("--areas-from-deso", type=Path, metavar="FIL",
                   help="SCB:s tabell per DeSO/RegSO, ålder och kön: ger områdenas befolkning")
    q.add_argument("--area-codes", type=Path, metavar="FIL",
                   help="områdenas DeSO/RegSO-koder (YAML område: [koder] eller CSV område,kod)")
    q.add_argument("--max-age", type=int, metavar="ÅLDER",
                   help="enkätens högsta ålder, t.ex. 84 (standard: population_import.max_age)")
    q.add_argument("--output", type=Path, metavar="FIL",
                   help="befolkningsfilen (standard: data/reference/population_<år>.csv)")
    q.set_defaults(func=_cmd_population)
    _add_questions(sub)

    # trygghet mapping draft | check (mapping_draft*.py, mapping_check.py)
    # Both read the workspace's questionnaire (config/frageformular.yml, else the default).
    from . import mapping_check, mapping_draft_yaml

    p = sub.add_parser("mapping", help="årets mappning: föreslå ett utkast ur en export, "
                                       "eller kontrollera mappningen mot exporten")
    msub = p.add_subparsers(dest="mapping_command", required=True, metavar="KOMMANDO")
    q = msub.add_parser("draft", help="föreslå årets mappning ur en export (skriver "
                                      "config/surveys/<år>.utkast.yml, aldrig över en fil)")
    q.add_argument("--input", type=Path, required=True, metavar="EXPORT",
                   help="exportfilen (CSV eller xlsx)")
    q.add_argument("--year", type=_year, required=True, help="enkätår, t.ex. 2022")
    q.add_argument("--output", type=Path, metavar="FIL",
                   help="utkastets fil (standard: config/surveys/<år>.utkast.yml)")
    q.add_argument("--sheet", metavar="BLAD", help="Excel-bladet med svaren (standard: första)")
    q.add_argument("--header-row", type=int, metavar="RAD",
                   help="rubrikradens nummer (standard: letar själv)")
    q.set_defaults(func=lambda a: mapping_draft_yaml.draft_year(
        Project.find(a.root), a.year, a.input, output=a.output,
        sheet=a.sheet, header_row=a.header_row, echo=print))
    q = msub.add_parser("check", help="kontrollera mappningen mot exporten: omappade kolumner, "
                                      "okända svar, flervalsalternativ som saknas i formuläret")
    q.add_argument("--year", type=_year, required=True, help="enkätår, t.ex. 2020")
    q.add_argument("--input", type=Path, help="exportfil (standard: mappningens source.file)")
    q.add_argument("--mapping", type=Path,
                   help="mappningsfil (standard: config/surveys/<år>.yml)")
    q.set_defaults(func=lambda a: mapping_check.check_year(
        Project.find(a.root), a.year, mapping_path=a.mapping,
        input_path=a.input, echo=print))

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with sigterm_as_interrupt():
            args.func(args)
    except TrygghetError as err:
        print(f"fel: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("avbrutet", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`trygghet promises | head`): not an error of ours.
        # Point stdout at devnull so the flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as err:  # noqa: BLE001 - the user sees a message, never a traceback
        if args.debug:
            traceback.print_exc()
        print(f"oväntat fel: {type(err).__name__}: {err}\n"
              "  Kör igen med --debug för detaljer och rapportera felet.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
