"""The yearly stages with their files: what the CLI and the notebooks call.

The statistical modules take and return DataFrames; this module is where a
stage learns where its inputs are and where its outputs go (see
``config.Project``), and in which order the stages run. Each ``*_year``
function runs one stage for one survey year and reports through ``echo``.

Every stage publishes its outputs together or not at all: they are written
into hidden staging folders and moved into place at the end
(:class:`trygghet.render.Publication`), followed, last, by the stage's
manifest of what it read and wrote (:mod:`trygghet.manifest`). Before the
reports are made, :func:`prepare` runs each stage again whose manifest says
that an input or an output is no longer what it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import clean, comparability, free_text, load, manifest
from .config import Project, load_settings
from .errors import TrygghetError
from .fmt import number
from .kept import check_kept
from .mapping import check_sent, load_mapping, load_year_mapping, normalise, used_mapping
from .privacy import pseudonym_key
from .render import Publication
from .writers import write_csv, write_json, write_parquet

Echo = Callable[[str], object]

SURVEY_NOTEBOOK = "trygghetsrapport.ipynb"
PROMISE_NOTEBOOK = "loftesuppfoljning.ipynb"
RESIDENTS_NOTEBOOK = "invanarsrapport.ipynb"


def _quiet(_: str) -> None:
    return None


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


# --- What each stage reads, and how it publishes ------------------------------------------

def _settings_file(project: Project) -> Path:
    return project.config / "trygghet.yml"


def _questionnaire_inputs(project: Project) -> list[Path]:
    # The workspace's questionnaire decides questions and indicators: a change re-runs.
    return [project.root / "config" / "frageformular.yml"]


def estimate_inputs(project: Project, year: int) -> list[Path]:
    """The files the estimation stage of ``year`` reads (present or not).

    The year's cleaned answers, population file and reference values (the
    Excel appendix shows them), the settings, and each earlier year's
    estimates (for the changes) or, where those are missing, its cleaned
    answers (estimated in memory).
    """
    from .references import reference_file

    paths = [project.processed(year) / "responses.parquet",
             project.reference / f"population_{year}.csv", _settings_file(project),
             reference_file(project.reference, year), *_questionnaire_inputs(project)]
    for y in project.survey_years():
        if y < year:
            paths += [project.processed(y) / "estimates.parquet",
                      project.processed(y) / "responses.parquet"]
    return paths


def promise_inputs(project: Project, year: int) -> list[Path]:
    """The files the follow-up of ``year``'s medborgarlöfte reads (present or not)."""
    from . import promise_files

    paths = [promise_files.promise_file(project.reference, year), _settings_file(project)]
    paths += [project.reference / name for name in promise_files.FILES.values()]
    paths += [project.processed(y) / "estimates.parquet"
              for y in project.survey_years() if y <= year]
    paths.append(project.processed(year) / "changes.parquet")
    return paths


def _publish(run: Publication, project: Project, stage: str, year: int,
             inputs: dict[str, str | None], sources: list[Path] | None = None) -> list[Path]:
    """Publish what ``run`` staged, with the stage's manifest moved into place last."""
    out = project.processed(year)
    outputs: dict[Path, Path | None] = dict(run.staged())
    outputs.update({target: None for target in run.removed})
    record = manifest.build(stage, year, project.root, inputs, outputs, sources or [])
    target = manifest.location(out, stage)
    write_json(record.to_dict(), run.stage(out) / target.name)
    return run.publish(last=[target])


def _intact(project: Project, year: int, stage: str, name: str) -> bool:
    """Whether ``data/processed/<year>/<name>`` holds what ``stage`` wrote there.

    By the stage's manifest; a file without one (written by an older version,
    or by hand) counts as intact if it can be read as parquet.
    """
    folder = project.processed(year)
    target = folder / name
    if not target.is_file():
        return False
    if manifest.Manifest.read(manifest.location(folder, stage)) is not None:
        return manifest.output_is_current(project.root, folder, stage, target)
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(target)
    except (OSError, ValueError):
        return False
    return True


# --- Clean ----------------------------------------------------------------------------------

def clean_year(project: Project, year: int, *, input_path: Path | None = None,
               mapping_path: Path | None = None, echo: Echo = _quiet) -> clean.CleanResult:
    """Load and clean one survey year's export into ``data/processed/<year>/``.

    Writes ``responses.parquet`` (canonical, typed, *without* free text),
    ``free_text.parquet`` (the free-text answers, see :mod:`trygghet.free_text`),
    ``quarantine.csv`` (one row per unusable raw row, with its reason),
    ``duplicates.csv`` (removed double submissions and the row each
    duplicates), ``cleaning_log.json`` (counts, reasons, the reconciliation,
    and the mapping and export used, which the later stages then use: see
    :func:`mapping.used_mapping`) and ``manifest_clean.json``, all together.
    The raw file is only read. A run that keeps too little
    (:func:`kept.check_kept`, settings ``cleaning``) stops before writing
    anything, so the previous outputs stay as they were.
    Returns the cleaning result (free text included).
    """
    settings = load_settings(project)["cleaning"]
    mapping_path = Path(mapping_path) if mapping_path else project.mapping(year)
    mapping = load_year_mapping(mapping_path, year, project.questionnaire)
    source = Path(input_path).absolute() if input_path else mapping.source_path(project.root)
    inputs = manifest.hashes([mapping_path, source, *_questionnaire_inputs(project)],
                             project.root)
    raw = load.read_export(source, mapping)
    result = clean.clean(raw, mapping, key=pseudonym_key(project.root))
    check_kept(result, mapping, max_quarantined=settings["max_quarantined"],
               allow_constant=settings["allow_constant"], file=source,
               questionnaire=project.questionnaire)
    responses, answers = free_text.split(result.responses)

    out = project.processed(year)
    # The municipality the year belongs to travels with its data (comparability.py).
    log = result.log | {"source_file": _relative(source, project.root),
                        "mapping_file": _relative(mapping_path, project.root),
                        # given with --input: a re-run (prepare) reads the same file
                        "input_file": _relative(source, project.root) if input_path else None,
                        "municipality": load_settings(project)["municipality"]}
    with Publication("clean") as run:
        stage = run.stage(out)
        write_parquet(responses, stage / "responses.parquet")
        write_parquet(answers, stage / free_text.FILE_NAME)
        write_csv(result.quarantine, stage / "quarantine.csv")
        write_csv(result.duplicates, stage / "duplicates.csv")
        write_json(log, stage / "cleaning_log.json")
        _publish(run, project, "clean", year, inputs, sources=[source])

    echo(f"{year}: {number(log['rows_in'])} rader in = {number(log['rows_clean'])} rensade "
         f"+ {number(log['rows_quarantined'])} i karantän "
         f"+ {number(log['duplicates_removed'])} dubbletter – stämmer")
    for reason, count in log["reasons"].items():
        echo(f"  karantän: {clean.REASONS[reason]}: {number(count)}")
    answers = result.quarantine[result.quarantine["level"] == "svar"]
    for reason, count in log["answer_reasons"].items():
        first = answers[answers["reason"] == reason].iloc[0]
        echo(f"  svar som räknas som saknade (respondenten behålls): {clean.REASONS[reason]}: "
             f"{number(count)}, t.ex. rad {first['source_row']} kolumn '{first['column'][:60]}'"
             f" värdet '{first['value'][:60]}' (alla i quarantine.csv, level svar)")
    for note in log["warnings"]:
        echo(f"  obs: {note}")
    echo(f"  skrev {_relative(out, project.root)}/: responses.parquet, {free_text.FILE_NAME} "
         "(fritext, publiceras aldrig), quarantine.csv, duplicates.csv, cleaning_log.json")
    return result


def load_responses(project: Project, year: int) -> pd.DataFrame:
    """The cleaned respondent frame of ``year`` (run ``trygghet clean`` first).

    One row per respondent, without free text (that is in
    ``free_text.parquet``, see :func:`trygghet.free_text.load_answers`).
    """
    path = project.processed(year) / "responses.parquet"
    if not path.exists():
        raise TrygghetError("rensade svar saknas", file=path,
                            hint=f"kör trygghet clean --year {year}")
    try:
        responses = pd.read_parquet(path)
    except (OSError, ValueError) as err:
        raise TrygghetError("rensade svar kan inte läsas (filen är skadad eller ofullständig)",
                            file=path, hint=f"kör trygghet clean --year {year}") from err
    # Rows of an older version still held the free text: never hand it on.
    return responses.drop(columns=[c for c in free_text.FREE_TEXT if c in responses.columns])


# --- Promises ---------------------------------------------------------------------------------

def promises_year(project: Project, year: int, echo: Echo = print):
    """Follow up the medborgarlöfte of ``year``: a status and a reason per inriktning.

    Reads ``data/reference/medborgarlofte_<year>.yml`` and the outcome files its
    indicator rules need (``utfall.csv``, ``trygghetsronder.csv``,
    ``milstolpar.csv``; for survey rules ``data/processed/<year>/estimates.parquet``,
    the baseline year's estimates and ``changes.parquet``), writes
    ``data/processed/<year>/promises.csv`` (one row per indicator, see
    ``promises.FollowUp.table``) with its manifest and prints the follow-up table.

    Survey estimates that do not exist yet (or are damaged) are made by
    running the estimation stage (:func:`estimate_year`). If they still cannot
    be had (no survey data, say), the survey indicators get *Underlag saknas*
    ("enkätskattningarna för <år> saknas") and the rest of the follow-up
    stands: one missing table must not hold back the other inriktningar's
    status. Returns the ``promises.FollowUp``.
    """
    import shutil

    from . import promise_files, promises

    path = promise_files.promise_file(project.reference, year)
    if not path.exists():
        raise TrygghetError(f"det finns inget medborgarlöfte för {year}", file=path,
                            hint="skapa filen efter mönster av medborgarlofte_2020.yml")
    promise = promise_files.load_promise(path, project.questionnaire)
    if promise.year != year:
        raise TrygghetError(f"filen gäller år {promise.year}, inte {year}", file=path,
                            column="year")
    settings = load_settings(project)
    survey = [s for s in promise.indicators if promises.RULES[s.rule].data == "survey"]
    bases = {s.params.get("compare_with") or year - 1 for s in survey}
    if survey:
        _ensure_estimates(project, year, bases, echo)
    inputs = manifest.hashes(promise_inputs(project, year), project.root)
    outcomes = promise_files.load_outcomes(project.reference, promise)
    outcomes.ci_level = settings["estimation"]["level"]
    if survey:
        _promise_survey_tables(project, year, bases, outcomes, echo)

    follow_up = promises.evaluate(promise, outcomes)
    out = project.processed(year) / "promises.csv"
    with Publication("promises") as run:
        write_csv(follow_up.table(), run.stage(out.parent) / out.name)
        _publish(run, project, "promises", year, inputs)
    width = min(max(shutil.get_terminal_size((100, 24)).columns, 60), 140)
    echo(promises.format_follow_up(follow_up, width=width))
    if settings["synthetic_data"]:
        echo("Utfallsdata: syntetiska exempeldata.")
    echo(f"  skrev {_relative(out, project.root)}")
    return follow_up


def _survey_tables_intact(project: Project, year: int, years: list[int]) -> dict[int, bool]:
    intact = {y: _intact(project, y, "estimate", "estimates.parquet") for y in years}
    intact[year] = intact[year] and _intact(project, year, "estimate", "changes.parquet")
    return intact


def _ensure_estimates(project: Project, year: int, bases: set[int], echo: Echo) -> None:
    """Estimate the years a promise compares that have no intact estimates yet."""
    years = sorted({year, *bases})
    intact = _survey_tables_intact(project, year, years)
    for y in years:  # ascending: a year's changes need the earlier estimates
        if intact[y]:
            continue
        try:
            estimate_year(project, y, echo=echo)
        except TrygghetError as err:
            echo(f"  obs: skattningarna för {y} kunde inte tas fram: {err}")


def _promise_survey_tables(project: Project, year: int, bases: set[int], outcomes,
                           echo: Echo) -> None:
    """Put the survey estimates a promise needs into ``outcomes``."""
    years = sorted({year, *bases})
    intact = _survey_tables_intact(project, year, years)
    if not intact[year]:
        outcomes.survey_missing = f"enkätskattningarna för {year} saknas"
        echo(f"  obs: enkätskattningar för {year} saknas – enkätindikatorerna redovisas som "
             f"Underlag saknas (kör trygghet estimate --year {year})")
        return
    outcomes.estimates = pd.concat(
        [pd.read_parquet(project.processed(y) / "estimates.parquet") for y in years
         if intact[y]], ignore_index=True)
    outcomes.changes = pd.read_parquet(project.processed(year) / "changes.parquet")


# --- Estimation stage (issue 3) ----------------------------------------------------

def estimate_year(project: Project, year: int, echo: Echo = print) -> str:
    """Weights, estimates, changes and the Excel appendix of one survey year.

    Runs ``clean`` first if ``data/processed/<year>/responses.parquet`` is
    missing or damaged (not what the clean stage wrote). Writes to
    ``data/processed/<year>/``: ``weights.parquet`` (``respondent_id, weight``;
    for an opt-in year the adjustment weights of the respondents who could be
    raked, the others are absent), ``weighting.json`` (diagnostics),
    ``estimates.parquet`` and ``changes.parquet`` (from every earlier year
    with cleaned data to ``year``), all through disclosure control;
    ``reports/<year>/tabeller_<year>.xlsx``; and ``manifest_estimate.json``.
    All of them are published together or none: a full disk or a workbook
    open in Excel leaves the previous tables as they were. Returns the
    Swedish summary it prints.
    """
    from . import survey as est
    from .appendix import write_appendix
    from .population import read_population
    from .provenance import provenance
    from .references import read_references
    from .suppress import Rules, protect

    settings = load_settings(project)
    questionnaire = project.questionnaire
    reference_values = read_references(project.reference, year,  # a bad file stops early
                                       questionnaire)
    rules = Rules.from_settings(settings)
    out = project.processed(year)
    if not (out / "responses.parquet").exists():
        echo(f"{year}: rensade svar saknas – kör clean först")
        clean_year(project, year, echo=echo)
    elif not _intact(project, year, "clean", "responses.parquet"):
        echo(f"{year}: rensade svar är skadade eller ändrade efter rensningen – rensar om")
        mapping_path, input_path = used_mapping(project, year)
        clean_year(project, year, input_path=input_path, mapping_path=mapping_path, echo=echo)
    inputs = manifest.hashes(estimate_inputs(project, year), project.root)
    responses = load_responses(project, year)
    check_sent(responses.attrs.get("sent"), len(responses), file=used_mapping(project, year)[0])
    result = est.estimate_survey(responses, read_population(project, year), settings,
                                 questionnaire)
    published = est.add_bands(protect(result.estimates, rules), questionnaire)

    level = settings["estimation"]["level"]
    history, skipped = [], []
    apart: list[str] = []  # the appendix says which years are not compared, and why
    base = comparability.profile(project, year)
    for y in project.survey_years():
        if y >= year:
            continue
        try:
            verdict = comparability.judge(base, comparability.profile(project, y),
                                          settings["municipality"])
            if not verdict.comparable:
                skipped.append(f"{y} (inte jämförbart: {'; '.join(verdict.reasons)})")
                apart.append(verdict.note())
                continue
            if _intact(project, y, "estimate", "estimates.parquet"):
                frame = pd.read_parquet(project.processed(y) / "estimates.parquet")
            elif _intact(project, y, "clean", "responses.parquet"):
                earlier = est.estimate_survey(load_responses(project, y),
                                              read_population(project, y), settings,
                                              questionnaire)
                frame = protect(earlier.estimates, rules)
            else:
                frame = None
            if frame is not None:
                # Areas that do not match: the totals compare, the areas do not.
                history.append(frame if verdict.areas_comparable
                               else frame[frame["group_var"] != "area"])
                if not verdict.areas_comparable:
                    skipped.append(f"{y} per område (inte jämförbart: "
                                   f"{'; '.join(verdict.area_reasons)})")
                    apart.append(verdict.note())
            elif (project.processed(y) / "responses.parquet").exists():
                skipped.append(f"{y} (rensade svar är skadade – kör trygghet clean --year {y})")
            else:
                skipped.append(f"{y} (inte rensat)")
        except TrygghetError as err:
            skipped.append(f"{y} ({err.message})")
    parts = [est.changes(h, published, level, questionnaire) for h in history]
    parts = [p for p in parts if not p.empty]
    changes = (protect(pd.concat(parts, ignore_index=True), rules) if parts
               else pd.DataFrame(columns=est.CHANGE_COLUMNS))

    diag = result.diagnostics | {"disclosure": {"min_cell": rules.min_cell,
                                                "min_n": rules.min_n},
                                 "provenance": provenance()}
    written = []
    title = f"{responses.attrs.get('title') or f'Trygghetsmätning {year}'} – " \
            f"{settings['municipality']}"
    xlsx = project.reports(year) / f"tabeller_{year}.xlsx"
    with Publication("estimate") as run:
        stage = run.stage(out)
        if result.weights is not None:
            write_parquet(result.weights, stage / "weights.parquet")
            written.append("weights.parquet")
        else:  # never leave last run's weights beside new estimates
            run.remove(out / "weights.parquet")
        write_json(diag, stage / "weighting.json")
        write_parquet(published, stage / "estimates.parquet")
        write_parquet(changes, stage / "changes.parquet")
        written += ["weighting.json", "estimates.parquet", "changes.parquet"]
        write_appendix(published, run.stage(xlsx.parent) / xlsx.name, title=title,
                       changes=changes, level=level, reference_values=reference_values,
                       notes=_appendix_notes(result.diagnostics, settings, rules,
                                             questionnaire) + apart,
                       questionnaire=questionnaire)
        _publish(run, project, "estimate", year, inputs)

    lines = _estimate_summary(year, result.diagnostics, published, changes, skipped)
    lines.append(f"  skrev {_relative(out, project.root)}/: {', '.join(written)}; "
                 f"{_relative(xlsx, project.root)}")
    text = "\n".join(lines)
    for line in lines:
        echo(line)
    return text


def _margins_sv(diag: dict) -> str:
    names = {"sex": "kön", "age_group": "ålder", "area": "område"}
    return ", ".join(" × ".join(names.get(v, v) for v in m.split(":"))
                     for m in (diag.get("margins") or {}))


def _appendix_notes(diag: dict, settings: dict, rules, questionnaire=None) -> list[str]:
    notes = []
    if settings.get("synthetic_data"):
        notes.append("Syntetiska exempeldata – inte verkliga enkätsvar.")
    w = diag.get("weighting") or {}
    if diag["sampling"] == "opt_in":
        notes.append("Självselekterad webbenkät: ej slumpmässigt urval – resultaten kan inte "
                     "generaliseras till befolkningen. Huvudskattningen är andelen av de "
                     "svarande (ovägd).")
        if w:
            notes.append(f"Den justerade skattningen är modellbaserad: {number(w['n'])} svarande "
                         f"kalibrerade mot befolkningen ({_margins_sv(w)}); "
                         f"{number(w['excluded'])} svarande kunde inte kalibreras. Intervallet "
                         "är indikativt, inte en felmarginal.")
    else:
        notes.append(f"Slumpmässigt urval, vägt (kalibrerat) mot befolkningen ({_margins_sv(w)}). "
                     "Konfidensintervallen tar hänsyn till vägningen (Taylorlinjärisering).")
        notes += _response_notes(diag, rules)
    ci = settings["estimation"]["ci_method"]
    notes.append({"wilson": "Intervall för andelar: Wilson med effektivt urval.",
                  "logit": "Intervall för andelar: logit (som R:s svyciprop).",
                  "beta": "Intervall för andelar: Korn–Graubard."}[ci]
                 + " Intervall för index: t-fördelning.")
    notes.append(f"Röjandekontroll: ingen uppgift från färre än {rules.min_cell} svarande, "
                 f"inte heller en andel där färre än {rules.min_cell} svarande har (eller "
                 f"saknar) egenskapen; ingen skattning från färre än {rules.min_n} svarande.")
    notes.append(_bands_note(questionnaire))
    return notes


def _response_notes(diag: dict, rules) -> list[str]:
    """The response rate overall and per stratum (``design.strata.sent``), through the
    disclosure gate, with its definition; [] without rates per stratum."""
    from .fmt import percent, symbol_word
    from .suppress import protect
    from .vocabulary import translator

    if not diag.get("response"):
        return []
    t = translator("sv")
    sent = pd.DataFrame(diag["response"])["n"]  # the design: always shown
    rates = protect(pd.DataFrame(diag["response"]), rules)
    items = []
    for i in rates.index[rates["group_var"] != "total"]:
        r = rates.loc[i]
        items.append(f"{r['group']} {r['symbol']} ({symbol_word(r['symbol'])})"
                     if r["suppressed"] else
                     f"{r['group']} {percent(r['estimate'], 1)} ({number(r['count'])} av "
                     f"{number(sent[i])})")
    column = rates.loc[rates["group_var"] != "total", "group_var"]
    total = rates[rates["group_var"] == "total"].iloc[0]
    return [t("response.appendix", rate=percent(total["estimate"], 1), items="; ".join(items),
              group_var=t.label("group_var", column.iloc[0]).lower() if len(column) else ""),
            t("response.definition").strip()]


def _bands_note(questionnaire=None) -> str:
    """What the 'Nivå' column means, with its limits: the project's own convention."""
    from .indicators import index_config

    bands = index_config(questionnaire)["bands"]
    parts = []
    for i, (low, label) in enumerate(bands):
        high = bands[i + 1][0] if i + 1 < len(bands) else None
        span = (f"{number(low, 1)}–{number(high, 1)}" if high is not None
                else f"från {number(low, 1)}")
        parts.append(f"{label} {span}")
    return ("Kolumnen Nivå (problemindex och trygghetsindex) är kommunens egen indelning av "
            "Polisens skala 0–6, inte Polisens: " + ", ".join(parts) + " (nedre gränsen "
            "ingår).")


def _estimate_summary(year: int, diag: dict, published: pd.DataFrame, changes: pd.DataFrame,
                      skipped: list[str]) -> list[str]:
    def dec(x: float, d: int = 1) -> str:
        return f"{x:,.{d}f}".replace(",", " ").replace(".", ",").replace(" ", "\u00a0")

    w = diag.get("weighting") or {}
    lines = []
    if diag["sampling"] == "probability":
        lines.append(f"{year}: slumpmässigt urval, {number(diag['respondents'])} svarande, "
                     f"vägda mot befolkningen ({_margins_sv(w)})")
    else:
        lines.append(f"{year}: självselekterad webbenkät, {number(diag['respondents'])} "
                     "svarande – huvudskattning: ovägda andelar av de svarande (kan inte "
                     "generaliseras)")
        if w:
            lines.append(f"  justerad skattning (modellbaserad): {number(w['n'])} svarande "
                         f"kalibrerade, {number(w['excluded'])} kunde inte kalibreras (saknar "
                         "kön, ålder eller område, eller bor utanför kommunens områden)")
        else:
            lines.append(f"  {diag.get('adjusted', 'ingen justerad skattning')}")
    if w and "weight_min" in w:
        lines.append(f"  vikter: effektiv urvalsstorlek (Kish) {number(round(w['kish_n_eff']))}, "
                     f"designeffekt {dec(w['deff'], 2)}, vikter {dec(w['weight_min'])}–"
                     f"{dec(w['weight_max'])} (kvot {dec(w['weight_ratio'])}), "
                     f"{w['iterations']} varv")
    trim = w.get("trim") if w else None
    if trim:
        low, high = trim["bounds"]
        lines.append(f"  trimning till {dec(low, 2)}–{dec(high, 2)} × medelvikten: "
                     f"{trim['rounds']} omgångar"
                     + ("" if trim["within_bounds"] else " – obs: gränserna går inte att hålla "
                        "samtidigt som marginalerna; vikterna är omviktade till marginalerna"))
    primary = published[published["estimate_type"].isin(("weighted", "unweighted"))]
    reasons = primary["suppression_reason"].value_counts()
    lines.append(f"  skattningar: {number(len(primary))} huvudrader "
                 f"({number(primary['indicator'].nunique())} indikatorer); redovisas inte: "
                 f"{number(int(reasons.get('disclosure', 0) + reasons.get('reliability', 0)))} "
                 f"för få svarande, {number(int(reasons.get('secondary', 0)))} sekundärt, "
                 f"{number(int(reasons.get('not_asked', 0)))} ej ställda frågor")
    for (y0, y1), part in changes.groupby(["year_from", "year_to"], sort=True):
        total = part[part["group_var"].eq("total")]
        if part["series_break"].all():
            lines.append(f"  förändring {y0}→{y1}: seriebrott – ingen slutsats om förändring")
        else:
            sig = total["significant"].fillna(False).astype(bool)
            lines.append(f"  förändring {y0}→{y1}: {number(int(sig.sum()))} av "
                         f"{number(int(total['significant'].notna().sum()))} indikatorer "
                         "förändrades statistiskt säkerställt (totalt)")
    if skipped:
        lines.append(f"  obs: ingen jämförelse med {', '.join(skipped)}")
    return lines


# --- Yearly reports (issue 5) -----------------------------------------------------

def prepare(project: Project, year: int, echo: Echo = _quiet) -> None:
    """Run clean → estimate → promises where an output is missing or stale.

    Stale means that the stage's manifest does not vouch for its outputs
    (:func:`trygghet.manifest.stale`): an input changed (raw export, mapping,
    population, settings, promise and outcome files, an earlier stage's
    tables), an output was damaged or replaced, or the code changed. A report
    must never show figures from a previous run of changed data, nor a table
    that disagrees with its Excel appendix.
    """
    from . import promise_files

    years = [y for y in project.survey_years() if y <= year]
    if year not in years:
        raise TrygghetError(f"det finns ingen enkät för {year}", file=project.mapping(year),
                            hint="skapa mappningen config/surveys/<år>.yml")
    for y in years:  # ascending: a year's changes need the earlier years' estimates
        mapping_path, input_path = used_mapping(project, y)
        why = manifest.stale(project.root, project.processed(y), "clean",
                             [mapping_path, *_questionnaire_inputs(project)])
        if why:
            echo(f"{y}: rensar ({why})")
            clean_year(project, y, input_path=input_path, mapping_path=mapping_path, echo=echo)
        why = manifest.stale(project.root, project.processed(y), "estimate",
                             estimate_inputs(project, y))
        if why:
            echo(f"{y}: skattar ({why})")
            estimate_year(project, y, echo=echo)
    if promise_files.promise_file(project.reference, year).exists():
        why = manifest.stale(project.root, project.processed(year), "promises",
                             promise_inputs(project, year))
        if why:
            echo(f"{year}: följer upp medborgarlöftet ({why})")
            promises_year(project, year, echo=echo)


def report_year(project: Project, year: int, *, formats: tuple[str, ...] = ("html", "pdf"),
                areas: list[str] | None = None, jobs: int = 2,
                echo: Echo = print) -> list[Path]:
    """The yearly reports of ``year``: executed notebook, HTML and PDF in ``reports/<year>/``.

    Runs what is missing or stale of the earlier stages (:func:`prepare`),
    then renders the survey report (``trygghetsrapport_<year>``), the promise
    follow-up (``loftesuppfoljning_<year>``, if the year has a promise), the
    residents' page (``invanarsrapport_<year>``) and one survey report per name
    in ``areas`` (``trygghetsrapport_<year>_<area>``),
    in up to ``jobs`` parallel processes (:func:`trygghet.render.render_set`).
    The set is published only when every report is complete and none holds
    any part of a free-text answer (:func:`trygghet.free_text.check_published`):
    a failing notebook, the free-text check, Ctrl-C or SIGTERM leaves the
    previous reports exactly as they were.
    """
    import time

    from . import promise_files
    from .opendata_package import release_year
    from .render import RenderJob, render_set
    from .schema import slug

    start = time.perf_counter()
    prepare(project, year, echo)
    release_year(project, year, echo=echo)  # reports/<year>/oppna-data/ (if configured)
    outdir = project.reports(year)
    formats = ("ipynb", *[f for f in formats if f != "ipynb"])
    # The kernels work in the workspace (and find it there, see Project.active below).
    cwd = str(project.root)
    todo = [RenderJob(project.notebook(SURVEY_NOTEBOOK), outdir, f"trygghetsrapport_{year}",
                      {"year": year}, formats, cwd)]
    if promise_files.promise_file(project.reference, year).exists():
        todo.append(RenderJob(project.notebook(PROMISE_NOTEBOOK), outdir,
                              f"loftesuppfoljning_{year}", {"year": year}, formats, cwd))
    todo.append(RenderJob(project.notebook(RESIDENTS_NOTEBOOK), outdir,
                          f"invanarsrapport_{year}", {"year": year}, formats, cwd))
    known = load_mapping(used_mapping(project, year)[0], project.questionnaire).areas
    # As in cleaning, case and spacing do not matter: "kronogården" is Kronogården.
    by_key = {normalise(a): a for a in known}
    for given in areas or []:
        area = by_key.get(normalise(given))
        if area is None:
            raise TrygghetError(f"okänt område '{given}'",
                                hint=f"områdena {year}: {', '.join(known)}")
        todo.append(RenderJob(project.notebook(SURVEY_NOTEBOOK), outdir,
                              f"trygghetsrapport_{year}_{slug(area)}",
                              {"year": year, "area": area}, formats, cwd))
    # A notebook can read any year's answers: look for all of them. What the analyst
    # wrote (notebooks, settings, mappings, promise and outcome files) is public text.
    answers = [a for y in project.survey_years()
               for a in free_text.load_answers(project.processed(y))]
    public = free_text.public_files([
        *sorted({job.notebook for job in todo}), *sorted(project.config.rglob("*.yml")),
        *sorted(project.reference.glob("*.yml")), *sorted(project.reference.glob("*.csv"))])

    echo(f"Renderar {len(todo)} rapport(er) för {year} "
         f"({', '.join(f for f in formats)}) i {min(jobs, len(todo))} process(er) …")
    done = 0

    def report(stem: str, files: dict, timings: dict) -> None:
        nonlocal done
        done += 1
        secs = sum(timings.values())
        echo(f"  [{done}/{len(todo)}] {stem}: klar på {number(secs, 1)} s")

    with project.active():
        written = render_set(todo, outdir, workers=jobs, done=report,
                             label=f"rapporter_{year}",
                             check=lambda files: free_text.check_published(answers, files,
                                                                           public=public))
    echo(f"Klart på {number(time.perf_counter() - start, 1)} s. Skrev:")
    for path in written:
        echo(f"  {_relative(path, project.root)}")
    for note in _older_formats(written, formats):
        echo(note)
    return written


def _older_formats(written: list[Path], formats: tuple[str, ...]) -> list[str]:
    """Notices about an older HTML (or PDF) of a report beside the one just made.

    ``--format pdf`` writes only the PDF; an HTML of the same report from an
    earlier run may show other figures. It is not deleted (it may be what is
    published, and removing it is the analyst's decision), but never left
    without a word.
    """
    notes = []
    for path in written:
        for other in ("html", "pdf"):
            older = path.with_suffix(f".{other}")
            if path.suffix == ".ipynb" or other in formats or not older.is_file():
                continue
            notes.append(f"  obs: {older.name} är från en tidigare körning och visar inte de "
                         f"nya siffrorna – ta bort den eller kör med --format both")
    return notes
