"""The yearly stages with their files: what the CLI and the notebooks call.

The statistical modules take and return DataFrames; this module is where a
stage learns where its inputs are and where its outputs go (see
``config.Project``). Each ``*_year`` function runs one stage for one survey
year, writes its outputs atomically, and reports through ``echo``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import clean, load
from .config import Project
from .errors import TrygghetError
from .fmt import number
from .mapping import check_sent, load_mapping, normalise
from .privacy import pseudonym_key
from .writers import write_csv, write_json, write_parquet

Echo = Callable[[str], object]


def _quiet(_: str) -> None:
    return None


def clean_year(project: Project, year: int, *, input_path: Path | None = None,
               mapping_path: Path | None = None, echo: Echo = _quiet) -> clean.CleanResult:
    """Load and clean one survey year's export into ``data/processed/<year>/``.

    Writes ``responses.parquet`` (canonical, typed), ``quarantine.csv`` (one
    row per unusable raw row, with its reason), ``duplicates.csv`` (removed
    double submissions and the row each duplicates) and ``cleaning_log.json``
    (counts, reasons, the reconciliation). The raw file is only read.
    """
    mapping_path = Path(mapping_path) if mapping_path else project.mapping(year)
    if not mapping_path.exists():
        raise TrygghetError(f"det finns ingen mappning för {year}", file=mapping_path,
                            hint=f"skapa config/surveys/{year}.yml (se 2020.yml) "
                                 "eller ange --mapping")
    mapping = load_mapping(mapping_path)
    if mapping.year != year:
        raise TrygghetError(f"mappningen gäller år {mapping.year}, inte {year}",
                            file=mapping_path, column="year",
                            hint=f"kör med --year {mapping.year} eller ange årets mappning")
    source = Path(input_path).absolute() if input_path else mapping.source_path(project.root)
    raw = load.read_export(source, mapping)
    result = clean.clean(raw, mapping, key=pseudonym_key(project.root))

    out = project.processed(year)
    write_parquet(result.responses, out / "responses.parquet")
    write_csv(result.quarantine, out / "quarantine.csv")
    write_csv(result.duplicates, out / "duplicates.csv")
    log = result.log | {"source_file": _relative(source, project.root),
                        "mapping_file": _relative(mapping_path, project.root)}
    write_json(log, out / "cleaning_log.json")

    echo(f"{year}: {number(log['rows_in'])} rader in = {number(log['rows_clean'])} rensade "
         f"+ {number(log['rows_quarantined'])} i karantän "
         f"+ {number(log['duplicates_removed'])} dubbletter – stämmer")
    for reason, count in log["reasons"].items():
        echo(f"  karantän: {clean.REASONS[reason]}: {number(count)}")
    for note in log["warnings"]:
        echo(f"  obs: {note}")
    echo(f"  skrev {_relative(out, project.root)}/: responses.parquet, quarantine.csv, "
         "duplicates.csv, cleaning_log.json")
    return result


def load_responses(project: Project, year: int) -> pd.DataFrame:
    """The cleaned respondent frame of ``year`` (run ``trygghet clean`` first)."""
    path = project.processed(year) / "responses.parquet"
    if not path.exists():
        raise TrygghetError("rensade svar saknas", file=path,
                            hint=f"kör trygghet clean --year {year}")
    return pd.read_parquet(path)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def promises_year(project: Project, year: int, echo: Echo = print):
    """Follow up the medborgarlöfte of ``year``: a status and a reason per inriktning.

    Reads ``data/reference/medborgarlofte_<year>.yml`` and the outcome files its
    indicator rules need (``utfall.csv``, ``trygghetsronder.csv``,
    ``milstolpar.csv``; for survey rules ``data/processed/<year>/estimates.parquet``,
    the baseline year's estimates and ``changes.parquet``), writes
    ``data/processed/<year>/promises.csv`` (one row per indicator, see
    ``promises.FollowUp.table``) and prints the follow-up table.

    Survey estimates that do not exist yet are made by running the estimation
    stage (:func:`estimate_year`). If they still cannot be had (no survey
    data, say), the survey indicators get *Underlag saknas* ("enkätskattningarna för
    <år> saknas") and the rest of the follow-up stands: one missing table must
    not hold back the other inriktningar's status. Returns the
    ``promises.FollowUp``.
    """
    import shutil

    from . import promise_files, promises
    from .config import load_settings

    path = promise_files.promise_file(project.reference, year)
    if not path.exists():
        raise TrygghetError(f"det finns inget medborgarlöfte för {year}", file=path,
                            hint="skapa filen efter mönster av medborgarlofte_2020.yml")
    promise = promise_files.load_promise(path)
    if promise.year != year:
        raise TrygghetError(f"filen gäller år {promise.year}, inte {year}", file=path,
                            column="year")
    settings = load_settings(project)
    outcomes = promise_files.load_outcomes(project.reference, promise)
    outcomes.ci_level = settings["estimation"]["level"]
    survey = [s for s in promise.indicators if promises.RULES[s.rule].data == "survey"]
    if survey:
        bases = {s.params.get("compare_with") or year - 1 for s in survey}
        _promise_survey_tables(project, year, bases, outcomes, echo)

    follow_up = promises.evaluate(promise, outcomes)
    out = project.processed(year) / "promises.csv"
    write_csv(follow_up.table(), out)
    width = min(max(shutil.get_terminal_size((100, 24)).columns, 60), 140)
    echo(promises.format_follow_up(follow_up, width=width))
    if settings["synthetic_data"]:
        echo("Utfallsdata: syntetiska exempeldata.")
    echo(f"  skrev {_relative(out, project.root)}")
    return follow_up


def _promise_survey_tables(project: Project, year: int, bases: set[int], outcomes,
                           echo: Echo) -> None:
    """Put the survey estimates a promise needs into ``outcomes``, estimating if need be."""
    years = sorted({year, *bases})
    estimates = {y: project.processed(y) / "estimates.parquet" for y in years}
    changes = project.processed(year) / "changes.parquet"
    missing = {y for y in years if not estimates[y].exists()}
    if not changes.exists():
        missing.add(year)
    for y in sorted(missing):  # ascending: a year's changes need the earlier estimates
        try:
            estimate_year(project, y, echo=echo)
        except TrygghetError as err:
            echo(f"  obs: skattningarna för {y} kunde inte tas fram: {err}")
    if not estimates[year].exists() or not changes.exists():
        outcomes.survey_missing = f"enkätskattningarna för {year} saknas"
        echo(f"  obs: enkätskattningar för {year} saknas – enkätindikatorerna redovisas som "
             f"Underlag saknas (kör trygghet estimate --year {year})")
        return
    outcomes.estimates = pd.concat([pd.read_parquet(estimates[y]) for y in years
                                    if estimates[y].exists()], ignore_index=True)
    outcomes.changes = pd.read_parquet(changes)


# --- Estimation stage (issue 3) ----------------------------------------------------

def read_population(project: Project, year: int) -> pd.DataFrame | None:
    """``data/reference/population_<year>.csv`` (long: dimension, level, population), or None."""
    from .inputs import MAX_TABLE_BYTES, check_input_file
    from .weights import check_population

    path = project.reference / f"population_{year}.csv"
    if not path.exists():
        return None
    try:
        check_input_file(path, limit=MAX_TABLE_BYTES)  # not a folder, FIFO or device
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if frame.empty:
            raise TrygghetError("befolkningsfilen har inga rader med befolkningstal", row=1,
                                hint="en rad per nivå: dimension,level,population (t.ex. "
                                     "sex,Kvinna,23 412); se data/reference/README.md")
        return check_population(frame)
    except TrygghetError as err:
        err.file = err.file or str(path)
        raise
    except pd.errors.EmptyDataError as err:
        raise TrygghetError("befolkningsfilen är tom", file=path,
                            hint="första raden ska vara dimension,level,population, sedan en "
                                 "rad per nivå; se data/reference/README.md") from err
    except (UnicodeDecodeError, pd.errors.ParserError) as err:
        raise TrygghetError(f"kan inte läsa befolkningsfilen ({err})", file=path,
                            hint="UTF-8 CSV med kolumnerna dimension,level,population") from err


def estimate_year(project: Project, year: int, echo: Echo = print) -> str:
    """Weights, estimates, changes and the Excel appendix of one survey year.

    Runs ``clean`` first if ``data/processed/<year>/responses.parquet`` is
    missing. Writes to ``data/processed/<year>/``: ``weights.parquet``
    (``respondent_id, weight``; for an opt-in year the adjustment weights of
    the respondents who could be raked, the others are absent), ``weighting.json``
    (diagnostics),
    ``estimates.parquet`` and ``changes.parquet`` (from every earlier year
    with cleaned data to ``year``), all through disclosure control; and
    ``reports/<year>/tabeller_<year>.xlsx``. Returns the Swedish summary it
    prints.
    """
    from . import estimate as est
    from .config import load_settings
    from .suppress import Rules, protect
    from .writers import write_appendix

    settings = load_settings(project)
    rules = Rules.from_settings(settings)
    out = project.processed(year)
    if not (out / "responses.parquet").exists():
        echo(f"{year}: rensade svar saknas – kör clean först")
        clean_year(project, year, echo=echo)
    responses = load_responses(project, year)
    check_sent(responses.attrs.get("sent"), len(responses), file=project.mapping(year))
    result = est.estimate_survey(responses, read_population(project, year), settings)
    published = est.add_bands(protect(result.estimates, rules))

    level = settings["estimation"]["level"]
    history, skipped = [], []
    for y in project.survey_years():
        if y >= year:
            continue
        path = project.processed(y) / "estimates.parquet"
        try:
            if path.exists():
                history.append(pd.read_parquet(path))
            elif (project.processed(y) / "responses.parquet").exists():
                earlier = est.estimate_survey(load_responses(project, y),
                                              read_population(project, y), settings)
                history.append(protect(earlier.estimates, rules))
            else:
                skipped.append(f"{y} (inte rensat)")
        except TrygghetError as err:
            skipped.append(f"{y} ({err.message})")
    parts = [est.changes(h, published, level) for h in history]
    parts = [p for p in parts if not p.empty]
    changes = (protect(pd.concat(parts, ignore_index=True), rules) if parts
               else pd.DataFrame(columns=est.CHANGE_COLUMNS))

    diag = result.diagnostics | {"disclosure": {"min_cell": rules.min_cell,
                                                "min_n": rules.min_n}}
    written = []
    if result.weights is not None:
        write_parquet(result.weights, out / "weights.parquet")
        written.append("weights.parquet")
    elif (out / "weights.parquet").exists():
        (out / "weights.parquet").unlink()  # never leave last run's weights beside new estimates
    write_json(diag, out / "weighting.json")
    write_parquet(published, out / "estimates.parquet")
    write_parquet(changes, out / "changes.parquet")
    written += ["weighting.json", "estimates.parquet", "changes.parquet"]
    title = f"{responses.attrs.get('title') or f'Trygghetsmätning {year}'} – " \
            f"{settings['municipality']}"
    xlsx = project.reports(year) / f"tabeller_{year}.xlsx"
    write_appendix(published, xlsx, title=title, changes=changes, level=level,
                   notes=_appendix_notes(result.diagnostics, settings, rules))

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


def _appendix_notes(diag: dict, settings: dict, rules) -> list[str]:
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
    ci = settings["estimation"]["ci_method"]
    notes.append({"wilson": "Intervall för andelar: Wilson med effektivt urval.",
                  "logit": "Intervall för andelar: logit (som R:s svyciprop).",
                  "beta": "Intervall för andelar: Korn–Graubard."}[ci]
                 + " Intervall för index: t-fördelning.")
    notes.append(f"Röjandekontroll: ingen uppgift från färre än {rules.min_cell} svarande, "
                 f"inte heller en andel där färre än {rules.min_cell} svarande har (eller "
                 f"saknar) egenskapen; ingen skattning från färre än {rules.min_n} svarande.")
    notes.append(_bands_note())
    return notes


def _bands_note() -> str:
    """What the 'Nivå' column means, with its limits: the project's own convention."""
    from .indicators import index_config

    bands = index_config()["bands"]
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

SURVEY_NOTEBOOK = "trygghetsrapport.ipynb"
PROMISE_NOTEBOOK = "loftesuppfoljning.ipynb"


def _stale(outputs: list[Path], inputs: list[Path]) -> bool:
    """Whether an output is missing or older than an input (as make decides)."""
    if not all(p.exists() for p in outputs):
        return True
    newest_input = max((p.stat().st_mtime for p in inputs if p.exists()), default=0.0)
    return min(p.stat().st_mtime for p in outputs) < newest_input


def _prepare(project: Project, year: int, echo: Echo) -> None:
    """Run clean → estimate → promises where an output is missing or out of date.

    Out of date means older than one of its inputs (raw export, mapping,
    population, settings, promise and outcome files): a report must never show
    figures from a previous run of changed data.
    """
    from . import promise_files
    from .indicators import INDEX_CONFIG

    years = [y for y in project.survey_years() if y <= year]
    if year not in years:
        raise TrygghetError(f"det finns ingen enkät för {year}", file=project.mapping(year),
                            hint="skapa mappningen config/surveys/<år>.yml")
    settings = project.config / "trygghet.yml"
    for y in years:  # ascending: a year's changes need the earlier years' estimates
        out = project.processed(y)
        mapping = load_mapping(project.mapping(y))
        if _stale([out / "responses.parquet"],
                  [project.mapping(y), mapping.source_path(project.root)]):
            clean_year(project, y, echo=echo)
        inputs = [project.processed(x) / "responses.parquet" for x in years if x <= y]
        inputs += [project.reference / f"population_{y}.csv", settings, INDEX_CONFIG]
        if _stale([out / f for f in ("estimates.parquet", "changes.parquet", "weighting.json")],
                  inputs):
            estimate_year(project, y, echo=echo)
    promise = promise_files.promise_file(project.reference, year)
    if promise.exists():
        inputs = [promise, settings, *(project.reference / f for f in (
            promise_files.VALUES_FILE, promise_files.ROUNDS_FILE, promise_files.MILESTONES_FILE))]
        inputs += [project.processed(y) / f for y in years
                   for f in ("estimates.parquet", "changes.parquet")]
        if _stale([project.processed(year) / "promises.csv"], inputs):
            promises_year(project, year, echo=echo)


# Worker processes of the parallel render (``report_year``). SIGINT is the
# parent's: a Ctrl-C in the terminal reaches the whole process group, and the
# parent then stops each worker once, with SIGTERM. SIGTERM during a render
# raises KeyboardInterrupt there (the render cleans up and stops its kernel);
# between renders it only marks the worker as stopping, so that it starts no
# queued render and exits quietly, without a traceback.
_STOPPING = False
_RENDERING = False


def _worker_stop(signum, frame) -> None:
    global _STOPPING
    _STOPPING = True
    if _RENDERING:
        raise KeyboardInterrupt("SIGTERM")


def _worker_init() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stop)


def _render_job(job: tuple) -> tuple[str, dict, dict]:
    """Render one notebook (in a worker process, or in this one)."""
    global _RENDERING
    from . import render

    notebook, outdir, stem, parameters, formats, cwd = job
    _RENDERING = True
    try:
        if _STOPPING:
            raise KeyboardInterrupt("SIGTERM")
        result = render.render_notebook(notebook, outdir, stem, parameters, formats, cwd=cwd)
    finally:
        _RENDERING = False
    return stem, {k: str(v) for k, v in result.files.items()}, result.timings


def _render_parallel(todo: list[tuple], jobs: int, done: Callable[..., None]) -> None:
    """Render ``todo`` in up to ``jobs`` worker processes; on any failure stop them all.

    A failing notebook, Ctrl-C or SIGTERM cancels the renders not yet started
    and interrupts those under way (each removes its temporary folder and
    stops its kernel) before the error is raised: nothing keeps running.
    """
    import contextlib
    import os
    import signal
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=min(jobs, len(todo)), initializer=_worker_init)
    futures = []
    try:
        futures = [pool.submit(_render_job, job) for job in todo]
        for future in as_completed(futures):
            done(*future.result())
    except BaseException as err:
        for f in futures:
            f.cancel()
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(ProcessLookupError, TypeError):
                os.kill(process.pid, signal.SIGTERM)
        if isinstance(err, BrokenProcessPool):
            raise TrygghetError("en renderingsprocess avbröts oväntat (slut på minne?)",
                                hint="kör igen, eventuellt med --jobs 1") from err
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _refuse_free_text(project: Project, years: list[int], files: list[Path],
                      outdir: Path) -> None:
    """Refuse to publish a report that quotes a free-text answer.

    The report notebooks never load respondent rows, but a notebook is code: one
    ``display(responses.head())`` would put names and phone numbers on the
    municipality's website. Every answer in ``comment`` of the years the report
    draws on (four words or more, so that a short "Nej tack" cannot block a
    report by chance) is looked for in the rendered HTML and in every string of
    the executed notebook; the PDF is printed from the HTML. A long answer is
    looked for by its first 30 characters: a displayed table cuts text (pandas
    at 50 characters, "…" after), and the long answers are the revealing ones.
    """
    import html
    import json

    comments = set()
    for y in years:
        path = project.processed(y) / "responses.parquet"
        try:
            column = pd.read_parquet(path, columns=["comment"])["comment"].dropna()
        except (OSError, KeyError, ValueError):
            continue
        comments |= {" ".join(c.split()) for c in column.astype(str)
                     if len(c.split()) >= 4 and len(c.strip()) >= 20}
    if not comments:
        return
    keys = {c if len(c) <= 40 else c[:30] for c in comments}

    def strings(node):
        if isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)
        elif isinstance(node, str):
            yield node

    for path in files:
        if path.suffix not in (".html", ".ipynb"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        text = ("\n".join(strings(json.loads(text))) if path.suffix == ".ipynb"
                else html.unescape(text))
        text = " ".join(text.split())
        found = sum(k in text for k in keys)
        if found:
            raise TrygghetError(
                f"rapporten innehåller {number(found)} fritextsvar från enkäten och "
                "publiceras inte", file=outdir / path.name,
                hint="fritextsvar publiceras aldrig: ta bort det som visar svaren ur "
                     "notebooken (de tidigare rapporterna är orörda)")


def report_year(project: Project, year: int, *, formats: tuple[str, ...] = ("html", "pdf"),
                areas: list[str] | None = None, jobs: int = 2,
                echo: Echo = print) -> list[Path]:
    """The yearly reports of ``year``: executed notebook, HTML and PDF in ``reports/<year>/``.

    Runs what is missing of the earlier stages, then renders the survey report
    (``trygghetsrapport_<year>``), the promise follow-up
    (``loftesuppfoljning_<year>``, if the year has a promise) and one survey
    report per name in ``areas`` (``trygghetsrapport_<year>_<area>``), in up to
    ``jobs`` parallel processes. All of them are rendered into a hidden staging
    folder in ``reports/<year>/`` and moved into place together only when every
    one is complete: a failing notebook, Ctrl-C or SIGTERM stops every render
    (and its kernel), removes the staging folder and leaves the previous
    reports exactly as they were.
    """
    import os
    import time

    from . import promise_files, render
    from .schema import slug

    start = time.perf_counter()
    _prepare(project, year, echo)
    nb_dir = project.root / "notebooks"
    outdir = project.reports(year)
    formats = ("ipynb", *[f for f in formats if f != "ipynb"])
    cwd = str(nb_dir)
    todo = [(nb_dir / SURVEY_NOTEBOOK, outdir, f"trygghetsrapport_{year}", {"year": year},
             formats, cwd)]
    if promise_files.promise_file(project.reference, year).exists():
        todo.append((nb_dir / PROMISE_NOTEBOOK, outdir, f"loftesuppfoljning_{year}",
                     {"year": year}, formats, cwd))
    known = load_mapping(project.mapping(year)).areas
    # As in cleaning, case and spacing do not matter: "kronogården" is Kronogården.
    by_key = {normalise(a): a for a in known}
    for given in areas or []:
        area = by_key.get(normalise(given))
        if area is None:
            raise TrygghetError(f"okänt område '{given}'",
                                hint=f"områdena {year}: {', '.join(known)}")
        todo.append((nb_dir / SURVEY_NOTEBOOK, outdir, f"trygghetsrapport_{year}_{slug(area)}",
                     {"year": year, "area": area}, formats, cwd))

    echo(f"Renderar {len(todo)} rapport(er) för {year} "
         f"({', '.join(f for f in formats)}) i {min(jobs, len(todo))} process(er) …")
    written: list[Path] = []
    done = 0

    def report(stem: str, files: dict, timings: dict) -> None:
        nonlocal done
        done += 1
        secs = sum(timings.values())
        echo(f"  [{done}/{len(todo)}] {stem}: klar på {number(secs, 1)} s")

    # All or nothing: every report is rendered into one hidden staging folder
    # and the set is moved into place only when all of them are complete, so a
    # failure or an interrupt leaves the previous year's set exactly as it was.
    with render.staging(outdir, f".trygghet_{year}.") as stage:
        try:
            staged = [(nb, stage, *rest) for nb, _, *rest in todo]
            if jobs <= 1 or len(todo) == 1:
                for job in staged:
                    report(*_render_job(job))
            else:
                _render_parallel(staged, jobs, report)
            names = sorted(p.name for p in stage.iterdir() if not p.name.startswith("."))
            _refuse_free_text(project, [y for y in project.survey_years() if y <= year],
                              [stage / name for name in names], outdir)
            with render._signals_deferred():
                for name in names:
                    os.replace(stage / name, outdir / name)
                    written.append(outdir / name)
        except TrygghetError as err:
            if err.file and err.file.startswith(str(stage)):
                err.file = str(outdir)  # the folder the user knows, not the hidden staging one
            raise
    echo(f"Klart på {number(time.perf_counter() - start, 1)} s. Skrev:")
    for path in sorted(written):
        echo(f"  {_relative(path, project.root)}")
    return sorted(written)
