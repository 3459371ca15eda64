"""Writing a drafted mapping as the commented YAML an analyst reviews.

The file has the layout of ``config/surveys/<year>.yml`` (see
:mod:`trygghet.mapping`) and loads with :func:`mapping.load_mapping` as it
is, so a draft can be tried with ``trygghet mapping check`` before anyone has
read it. Each proposal carries its confidence as a comment (``# säkerhet
92 %``); one below :data:`mapping_draft.SURE` says ``# KONTROLLERA`` and why.
What could not be placed — columns, answers, areas — is written as comments,
so the file still loads and the analyst sees all of it in one place.

Answers are written under ``labels`` only where cleaning would not read them
by itself (a label that folds to a level needs no line). Values of free-text
columns are never written: a draft may end up in version control.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

from .config import Project
from .errors import TrygghetError
from .mapping import normalise
from .mapping_draft import (
    SURE,
    Answer,
    Draft,
    Placement,
    draft_mapping,
    read_for_draft,
    workspace_areas,
)
from .mapping_match import MISSING
from .schema import Question

MAX_UNKNOWN_CHARS = 40  # an unknown answer longer than this is not written to the draft


def _text(value: str) -> str:
    """``value`` as a YAML scalar: plain when YAML reads it back unchanged, else quoted."""
    plain = (value == value.strip() and value[:1].isalnum() and ": " not in value
             and " #" not in value and not value.endswith(":") and "\n" not in value)
    if plain:
        try:
            plain = yaml.safe_load(value) == value
        except yaml.YAMLError:
            plain = False
    return value if plain else json.dumps(value, ensure_ascii=False)


def _sure(confidence: float, note: str = "", extra: str = "") -> str:
    text = f"säkerhet {round(confidence * 100)} %"
    if extra:
        text += f", {extra}"
    if note:
        text += f" – {note}"
    return f"  # KONTROLLERA: {text}" if confidence < SURE else f"  # {text}"


def _answers(count: int) -> str:
    return f"{count} svar" if count != 1 else "1 svar"


def _placement(p: Placement) -> list[str]:
    if p.options:
        lines = [f"  {p.name}:{_sure(p.confidence, p.note)}", "    options:"]
        lines += [f"      {_text(level)}: {_text(header)}{_sure(conf)}"
                  for level, (header, conf) in p.options.items()]
        lines += [f"      # ?: {_text(h)}  # KONTROLLERA: inget sådant alternativ i "
                  "frågeformuläret" for h in p.extra_options]
        return lines
    if p.separator is not None:
        spec = f"{{header: {json.dumps(p.header, ensure_ascii=False)}, " \
               f"separator: {json.dumps(p.separator)}}}"
        return [f"  {p.name}: {spec}{_sure(p.confidence, p.note)}"]
    return [f"  {p.name}: {_text(p.header or '')}{_sure(p.confidence, p.note)}"]


def _label_line(a: Answer, label: str) -> str:
    if a.label is None:
        what = a.note or "okänt svar"
        return (f"    # {_text(a.value)}: ?  # KONTROLLERA: {what} ({_answers(a.count)}): "
                "ange ett svarsalternativ, eller null för inget svar")
    target = "null" if a.label is MISSING else _text(str(a.label))
    return f"    {_text(a.value)}: {target}{_sure(a.confidence, a.note, _answers(a.count))}"


def _needs_line(a: Answer) -> bool:
    """An answer cleaning would not read as proposed without a line under ``labels``."""
    if a.label is None:
        return True
    if a.label is MISSING:
        return a.confidence < 1.0 and bool(a.value.strip())
    return normalise(a.value) != normalise(str(a.label))


def render_draft(draft: Draft, source_file: str, questions: list[str]) -> str:
    """The draft as YAML text (deterministic: same draft, same bytes).

    Parameters
    ----------
    draft
        From :func:`mapping_draft.draft_mapping`.
    source_file
        The export's path as the file should name it (relative to the project).
    questions
        The questionnaire's canonical names, to list those not found.
    """
    raw = draft.raw
    head = raw.info.get("header_row", 1)
    out = [
        f"# Utkast till mappning för {draft.year}, skapat av `trygghet mapping draft` ur",
        f"# {source_file} ({len(raw.frame)} rader, {len(raw.headers)} kolumner).",
        "# Efter varje förslag står hur säker gissningen är; rader märkta KONTROLLERA är",
        "# osäkra. Det som inte kunde placeras står som kommentarer. Granska allt, fyll i",
        f"# design och spara som config/surveys/{draft.year}.yml; prova med",
        f"# `trygghet mapping check --year {draft.year}`.",
    ]
    out += [f"# OBS: {note}" for note in draft.notes]
    out += [f"year: {draft.year}", f"title: Trygghetsmätning {draft.year}", "", "source:",
            f"  file: {_text(source_file)}", "  encoding: auto", "  delimiter: auto"]
    if raw.info.get("sheet"):
        out.append(f"  sheet: {_text(str(raw.info['sheet']))}")
    out.append(f"  header_row: {head if head > 1 else 'auto'}")
    out += ["", "design:",
            "  sampling: opt_in  # KONTROLLERA: opt_in = självselekterad webbenkät; "
            "probability = slumpmässigt urval (ange då sent = antal utskick)",
            "", "# Bakgrund som kommer från ett register kan krävas, t.ex. [sex, age_group, area].",
            "required: []", "", "columns:"]
    for p in draft.placements:
        out += _placement(p)
    placed = {p.name for p in draft.placements}
    missing = [q for q in questions if q not in placed and q != "age_group"
               or q == "age_group" and not placed & {"age", "birth_year", "age_group"}]
    if missing:
        out.append("  # Hittades inte i exporten (ställdes inte i år?): " + ", ".join(missing))
    out.append("")
    if draft.unplaced:
        out.append("# Kolumner som inte kunde placeras: mappa dem under columns eller lägg dem "
                   "i ignore.")
        out += [f"#   {_text(h)}: {why}" for h, why in draft.unplaced]
    out += ["ignore: []", ""]
    out += _labels(draft)
    if draft.checked or draft.unchecked:
        out += ["# Värden som betyder ikryssad / inte ikryssad i frågorna med en kolumn per "
                "alternativ.",
                f"checked: [{', '.join(json.dumps(v, ensure_ascii=False) for v in draft.checked)}]",
                "unchecked: ["
                + ", ".join(json.dumps(v, ensure_ascii=False) for v in draft.unchecked) + "]",
                ""]
    out += _areas(draft)
    return "\n".join(out) + "\n"


def _quotable(a: Answer) -> bool:
    """An unknown answer short enough to be a label; a longer one may be a sentence someone
    wrote, which a file that can end up in version control must not hold."""
    return a.label is not None or len(a.value) <= MAX_UNKNOWN_CHARS


def _labels(draft: Draft) -> list[str]:
    by_scale: dict[str, list[Answer]] = {}
    for a in draft.answers:
        if _needs_line(a) and _quotable(a):
            by_scale.setdefault(a.scale, []).append(a)
    areas = [a for a in draft.area_answers if (a.label is None or a.confidence < 1.0)
             and _quotable(a)]
    left_out = sum(not _quotable(a) for a in [*draft.answers, *draft.area_answers])
    if not by_scale and not areas and not left_out:
        return []
    out = ["# Svarsvarianter -> svarsalternativ per skala; null = inget svar."
           " Skiftläge och mellanslag spelar ingen roll."]
    if left_out:
        out.append(f"# {left_out} okända svar längre än {MAX_UNKNOWN_CHARS} tecken skrivs inte "
                   "här (de kan vara fritext): se trygghet mapping check.")
    out.append("labels:" if by_scale or areas else "labels: {}")
    for scale in sorted(by_scale):
        lines = [_label_line(a, scale) for a in by_scale[scale]]
        live = any(not line.lstrip().startswith("#") for line in lines)
        out.append(f"  {scale}:" if live else f"  {scale}: {{}}")
        out += lines
    if areas:
        lines = []
        for a in areas:
            if a.label is None:
                lines.append(f"    # {_text(a.value)}: ?  # KONTROLLERA: inget av områdena "
                             f"({_answers(a.count)}): ange området, Annat område, eller null")
            else:
                lines.append(f"    {_text(a.value)}: {_text(str(a.label))}"
                             f"{_sure(a.confidence, extra=_answers(a.count))}")
        live = any(not line.lstrip().startswith("#") for line in lines)
        out.append("  area:" if live else "  area: {}")
        out += lines
    return [*out, ""]


def _areas(draft: Draft) -> list[str]:
    out = [f"# Områdena: {draft.area_source}." if draft.area_source else "# Områdena.",
           "areas:"]
    for area in draft.areas.values():
        parts = []
        if area.aliases:
            parts.append(f"aliases: [{', '.join(_text(a) for a in area.aliases)}]")
        if area.postcodes:
            codes = ", ".join(json.dumps(f"{p[:3]} {p[3:]}" if len(p) == 5 else p)
                              for p in area.postcodes)
            parts.append(f"postcodes: [{codes}]")
        if area.codes:
            parts.append(f"codes: [{', '.join(json.dumps(c) for c in area.codes)}]")
        out.append(f"  {_text(area.name)}: {{{', '.join(parts)}}}")
    if not draft.areas:
        out.append("  {}  # KONTROLLERA: inga områden hittades; ange kommunens områden")
    return out


def write_draft(text: str, path: Path) -> None:
    """Write the draft to ``path``, which must not exist (``x`` mode: never overwrites)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as f:
        f.write(text)


def draft_path(project: Project, year: int, output: Path | None) -> Path:
    """Where the draft goes; refuses a file that exists (a draft never overwrites)."""
    path = Path(output) if output else project.mapping(year).with_suffix(".utkast.yml")
    if path.exists():
        mine = path.resolve() == project.mapping(year).resolve()
        raise TrygghetError(
            "filen finns redan och skrivs inte över" + (" (årets mappning)" if mine else ""),
            file=path,
            hint=("ett utkast ändrar aldrig årets mappning: ange en annan fil med --output"
                  if mine else "ta bort eller byt namn på det gamla utkastet, eller ange en "
                               "annan fil med --output"))
    return path


def _relative(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return str(path)


def draft_year(project: Project, year: int, export: Path, *,
               questions: Mapping[str, Question] | None = None, output: Path | None = None,
               sheet: str | int | None = None, header_row: int | None = None,
               value_labels: dict[str, dict[str, str]] | None = None,
               echo: Callable[[str], None] = print) -> Path:
    """Draft ``year``'s mapping from ``export`` and write it; returns the file written.

    The draft goes to ``config/surveys/<year>.utkast.yml`` or ``output``, never
    over an existing file (the year's mapping least of all). ``questions``:
    the workspace's questionnaire (``config/frageformular.yml``) unless given;
    ``value_labels`` (header → {code: label}): the export's own (an SPSS file's) unless given.
    """
    if questions is None:
        questions = project.questionnaire.questions
    path = draft_path(project, year, output)  # refused before the export is read
    if isinstance(sheet, str) and sheet.isdigit():  # "--sheet 2": the second sheet
        sheet = int(sheet)
    raw = read_for_draft(export, questions, sheet=sheet, header_row=header_row)
    areas, area_source = workspace_areas(project, year)
    draft = draft_mapping(raw, questions, areas, year=year, area_source=area_source,
                          value_labels=raw.value_labels if value_labels is None else value_labels)
    write_draft(render_draft(draft, _relative(Path(export), project.root), list(questions)),
                path)
    sure = [p for p in draft.placements if p.confidence >= SURE]
    echo(f"Skrev utkastet {_relative(path, project.root)}: {len(draft.placements)} frågor och "
         f"fält placerade ({len(draft.placements) - len(sure)} att kontrollera), "
         f"{len(draft.unplaced)} kolumn(er) kunde inte placeras.")
    unsure = [a for a in draft.answers if a.label is None or a.confidence < SURE]
    if unsure:
        echo(f"  {len(unsure)} svarsvariant(er) att kontrollera (märkta KONTROLLERA)")
    if not areas:
        echo("  obs: ingen områdeslista i arbetsmappen; områdena är kolumnens egna värden")
    if project.mapping(year).exists():
        echo(f"  obs: {_relative(project.mapping(year), project.root)} finns redan och "
             "ändrades inte")
    echo(f"  Granska utkastet och prova det med: trygghet mapping check --year {year} "
         f"--mapping {_relative(path, project.root)}")
    return path
