"""National-scale benchmark of trygghet, measured against baselines in the same run.

    .venv/bin/python benchmarks/bench.py [--rows 1000000] [--municipalities 290]
                                         [--repeat 3] [--out benchmarks/results/]
                                         [--r-municipalities 3] [--skip-reports] [--skip-r]
                                         [--keep DIR] [--reports-only] [--region 33]
                                         [--profile] [--quick]

What it does (see the README, section *Performance*):

1. **Data.** The seeded sample generator (``trygghet.sample``: ``generate_persons``,
   ``generate_responses`` and the 2020 survey tool's ``Renderer``) makes a national
   survey — by default 1,000,000 rows from 290 municipalities with ten areas each
   (area names unique nationally, "Kommun 017 – Centrum") plus a few per mille of
   deliberate mess (one quarantine reason per bad row, duplicates) — written to a
   temporary folder as a semicolon CSV export, a mapping YAML generated from
   ``config/surveys/2020.yml`` and the population reference (SCB-style margins). The
   municipality is a grouping derived from the area name (the canonical model has
   none), passed to ``estimate.estimate(..., by=...)`` like any column.
2. **Steps**, each run ``--repeat`` times in a fresh Python process: the time is
   the median; the memory is the largest peak RSS of the process over the runs
   (VmHWM, so numpy and pyarrow buffers count; for reports the peak of the
   whole process tree, kernels included, sampled with psutil). Inputs a step needs
   are loaded before its clock starts and count towards its peak. The steps that
   read the export run **warm** (the file in the page cache, as after a previous
   run) and **cold** (``*_cold``: the file is fsync'ed and dropped from the page
   cache with ``posix_fadvise(POSIX_FADV_DONTNEED)`` just before the clock starts —
   a new export as a user meets it; ``fincore`` reports how much of it was still
   resident). The chain (export → estimates) reports its own breakdown — load,
   clean, rake, estimates — with the peak RSS of each stage (a sampling thread).
   ``--profile`` also runs the chain once under cProfile (``profile_chain.txt``).
3. **Baselines in the same run**: (a) the floor of any notebook report — papermill
   running a notebook that only imports pandas, matplotlib and seaborn, nbconvert
   to HTML and WeasyPrint of an empty page; (b) a row-by-row cleaning written here
   the way an analyst would (``csv.reader``, dicts), which must find the same clean
   count as trygghet (checked); (c) R's survey package (``svydesign`` + ``rake`` +
   ``svyby(..., svyciprop)``) on a subsample of whole municipalities (R fits a GLM
   per domain over all rows of the design: about 18 s for 9,000 rows and 33 domains,
   growing with rows × domains, so some days for the national set),
   compared number by number with trygghet on the same subsample, which is also
   timed for the ratio.
4. **A police region**: ``--region N`` (default 33) synthetic municipal workspaces
   (the sample project regenerated with N seeds, each cleaned and estimated
   before the clock) and one yearly report each, rendered as
   ``trygghet report --root A --root B …`` renders them: one pool of two
   workers whose kernels are forked warm (``trygghet.render.warm``). In the
   same run, once, the same reports with every kernel started cold
   (``TRYGGHET_WARM_KERNELS=0``) as the baseline.
5. The table (step, median time, peak memory, baseline, ratio, target, met) is
   printed and written with the raw figures to ``--out`` (``results.json``,
   ``results.md``).

``--quick``: 100,000 rows, 29 municipalities, one repeat, a region of 4, no R —
a few minutes, for a relative comparison while working.

The benchmark is not part of the test suite; ``tests/test_bench.py`` runs a small
smoke run of it.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "trollhattan"   # the bundled example workspace
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from trygghet.mapping import load_mapping  # noqa: E402
from trygghet.questionnaire import default_questionnaire  # noqa: E402

QUESTIONS = default_questionnaire().questions  # the synthetic exports' questionnaire

YEAR = 2020
SEED = 2026
AREAS_PER_MUNICIPALITY = 10
MARGINS = ["sex:age_group", "area"]
BY = ["sex", "age_group", "area", "relation"]   # the project's default groupings
KEY = b"benchmark-only-pseudonym-key-0123456789abcdef"
# Deliberate mess per raw row: one quarantine reason each, and duplicates.
MESS_RATE = {"tom_rad": 2e-4, "inga_svar": 2e-4, "ogiltig_alder": 2e-4, "okant_omrade": 2e-4,
             "okant_svarsalternativ": 2e-4, "for_manga_val": 2e-4, "ogiltigt_datum": 2e-4,
             "saknar_bakgrund": 2e-4}
DUP_RATE = {"samma_id": 5e-4, "identiska_svar": 3e-4}
# Indicators R estimates on its subsample (svyciprop per domain is slow in R).
R_SHARES = ("otrygg_kvall", "oro", "utsatt")
R_MEANS = ("problemindex",)
REPORT_YEAR = 2020
REGION_SEED = 1000  # workspace k of the region is the sample generated with seed 1000 + k
# Targets of issue 19 (2-core reference machine).
CHAIN_COLD_S, CHAIN_WARM_S, CHAIN_PEAK_MB = 15.0, 10.0, 2048.0
REGION_S, REPORT_VS_FLOOR = 180.0, 1.5


def _municipality(area: pd.Series) -> pd.Series:
    """"Kommun 017 – Centrum" → "Kommun 017" (categorical)."""
    cats = pd.Series(area.cat.categories)
    muni = cats.str.split(" – ").str[0].where(cats.str.contains(" – "), None)
    codes = area.cat.codes.to_numpy()
    levels = pd.unique(muni.dropna())
    lookup = pd.Index(levels).get_indexer(muni.fillna(""))
    return pd.Series(pd.Categorical.from_codes(np.append(lookup, -1)[codes], categories=levels),
                     index=area.index, name="municipality")


# ---------------------------------------------------------------------------
# The national data set
# ---------------------------------------------------------------------------

def national_profiles(n_municipalities: int, rng: np.random.Generator):
    """Ten areas per municipality from the Trollhättan-like profiles, scaled and shifted."""
    from trygghet.sample import TROLLHATTAN

    out = []
    for k in range(n_municipalities):
        scale = float(np.clip(rng.lognormal(0.0, 0.8), 0.1, 12.0))
        shift = float(rng.normal(0.0, 0.15))
        for j in range(AREAS_PER_MUNICIPALITY):
            p = TROLLHATTAN[(k + j) % len(TROLLHATTAN)]
            out.append(replace(p, name=f"Kommun {k + 1:03d} – {p.name}",
                               inhabitants=max(400, round(p.inhabitants * scale)),
                               insecurity=p.insecurity + shift))
    return tuple(out)


def population_reference(profiles, year: int = YEAR) -> pd.DataFrame:
    """Long population margins (``dimension, level, population``) for ages 16–84."""
    from trygghet.sample import AGE_GROUPS, MAX_AGE, MIN_AGE, SEXES, age_groups, population_table

    t = population_table(year, profiles)
    t = t[(t["age"] >= MIN_AGE) & (t["age"] <= MAX_AGE)].copy()
    t["age_group"] = np.asarray(AGE_GROUPS, dtype=object)[age_groups(t["age"].to_numpy())]
    rows = []
    for sex in SEXES:
        rows.append(("sex", sex, int(t.loc[t["sex"] == sex, "population"].sum())))
    for g in AGE_GROUPS:
        rows.append(("age_group", g, int(t.loc[t["age_group"] == g, "population"].sum())))
    by_area = t.groupby("area", sort=False)["population"].sum()
    rows += [("area", p.name, int(by_area[p.name])) for p in profiles]
    cross = t.groupby(["sex", "age_group"])["population"].sum()
    rows += [("sex:age_group", f"{s}:{g}", int(cross[s, g])) for s in SEXES for g in AGE_GROUPS]
    return pd.DataFrame(rows, columns=["dimension", "level", "population"])


def write_mapping(profiles, path: Path, export: Path, rows: int) -> Path:
    """The 2020 mapping with the national areas, UTF-8 and ';' (a modern tool's export)."""
    base = yaml.safe_load((EXAMPLE / "config" / "surveys" / "2020.yml").read_text(encoding="utf-8"))
    base["title"] = "Trygghetsmätning 2020 – nationell benchmark (syntetisk)"
    base["source"] = {"file": str(export), "encoding": "utf-8", "delimiter": ";",
                      "header_row": 1}
    base["design"]["sent"] = 2 * rows
    base["design"]["population"] = "Folkbokförda 16–84 år i 290 kommuner (syntetiska)"
    base["areas"] = {p.name: {} for p in profiles}
    path.write_text(yaml.safe_dump(base, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _write_export(raw, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(raw.columns)
        cols = [raw.data[c] for c in raw.columns]
        step = 100_000
        for start in range(0, len(raw), step):
            chunk = [c[start:start + step] for c in cols]
            writer.writerows(["" if v is None else v for v in row]
                             for row in zip(*chunk, strict=True))


def make_dataset(folder: Path, rows: int, n_municipalities: int, echo=print) -> dict:
    """Write ``export.csv``, ``mapping.yml``, ``population.csv`` for the national survey."""
    from trygghet import sample
    from trygghet.sample import Mess, Renderer, concat_raw

    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([SEED, rows, n_municipalities])
    profiles = national_profiles(n_municipalities, rng)
    population = population_reference(profiles)
    population.to_csv(folder / "population.csv", index=False)
    export = folder / "export.csv"
    mapping = load_mapping(write_mapping(profiles, folder / "mapping.yml", export, rows))

    n_blank = max(1, round(rows * MESS_RATE["tom_rad"]))
    bad_reasons = [r for r in MESS_RATE if r != "tom_rad"
                   for _ in range(max(1, round(rows * MESS_RATE[r])))]
    n_dup = {k: max(1, round(rows * v)) for k, v in DUP_RATE.items()}
    n_people = rows - n_blank - sum(n_dup.values())
    persons = sample.generate_persons(n_people, rng, year=YEAR, areas=profiles)
    responses = sample.generate_responses(persons, rng, year=YEAR, areas=profiles,
                                          comments=sample.COMMENTS, comment_rate=0.11)
    sample._ensure_answered(responses, mapping.asked)
    spec = replace(sample.SPECS[YEAR], encoding="utf-8", delimiter=";")
    paper = rng.random(n_people) >= spec.web_share
    times = sample._submission_times(n_people, spec, rng, paper)
    ids = np.array([str(i) for i in rng.permutation(n_people) + 1], dtype=object)
    renderer = Renderer(mapping, spec, rng)
    raw = renderer.render(responses, ids=ids, submitted=times, paper=paper)
    sample._label_mess(raw, responses, mapping, spec, rng)

    # One reason per bad row; duplicates of valid web rows (they carry a time of day).
    order = rng.permutation(n_people)
    bad_rows = order[:len(bad_reasons)]
    mess = Mess(mapping, renderer, rng)
    for i, reason in zip(bad_rows, bad_reasons, strict=True):
        mess.corrupt(raw, int(i), reason, responses)
    web_valid = np.setdiff1d(np.flatnonzero(~paper), bad_rows)
    src = rng.choice(web_valid, size=sum(n_dup.values()), replace=False)
    ts_header = mapping.columns["submitted"]
    id_header = mapping.columns["respondent_id"]
    parts, dup_times = [raw], []
    for k, i in enumerate(src):
        row = raw.take(np.array([i]))
        if k < n_dup["samma_id"]:
            mess.change_answers(row, responses.take(np.array([i])))
            later = times[i] + np.timedelta64(int(rng.integers(3600, 4 * 86400)), "s")
        else:
            later = times[i] + np.timedelta64(int(rng.integers(90, 480)), "s")
            row.data[id_header] = np.array([str(n_people + 7000 + k)], dtype=object)
        row.data[ts_header] = renderer.timestamps(np.array([later]), np.array([False]))
        parts.append(row)
        dup_times.append(later)
    raw = concat_raw(parts)
    all_times = np.concatenate([times, np.array(dup_times, dtype="datetime64[s]")])
    raw = raw.take(np.argsort(all_times, kind="stable"))
    blank = sample.RawTable(list(raw.columns), {c: np.full(n_blank, None, dtype=object)
                                                for c in raw.columns})
    at = np.sort(rng.choice(np.arange(1, len(raw)), size=n_blank, replace=False))
    raw = sample._insert_rows(raw, blank, at)
    _write_export(raw, export)
    info = {"rows": len(raw), "municipalities": n_municipalities, "areas": len(profiles),
            "designed_quarantine": len(bad_reasons) + n_blank,
            "designed_duplicates": sum(n_dup.values()),
            "csv_mb": export.stat().st_size / 2 ** 20, "seed": SEED,
            "seconds": time.perf_counter() - start}
    (folder / "dataset.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    echo(f"data: {info['rows']:,} rows, {n_municipalities} municipalities, {len(profiles):,} "
         f"areas, CSV {info['csv_mb']:.0f} MB ({info['seconds']:.0f} s)")
    return info


def prepare_parquet(folder: Path) -> dict:
    """Clean once with trygghet (untimed) and write responses.parquet for later steps."""
    from trygghet import clean, load
    from trygghet.writers import write_parquet

    mapping = load_mapping(folder / "mapping.yml")
    raw = load.read_export(folder / "export.csv", mapping)
    result = clean.clean(raw, mapping, key=KEY)
    write_parquet(result.responses, folder / "responses.parquet")
    return {k: result.log[k] for k in ("rows_in", "rows_clean", "rows_quarantined",
                                       "duplicates_removed")}


# ---------------------------------------------------------------------------
# Baseline (b): cleaning row by row, as an analyst would write it
# ---------------------------------------------------------------------------

def naive_clean(csv_path: Path, mapping_path: Path) -> dict:
    """Read the export with csv.reader into dicts, map labels, validate and dedupe row by row.

    Same rules as ``trygghet.clean`` (reason precedence, required background,
    duplicates by id and by identical answers within the window), written the
    straightforward way. Returns the counts.
    """
    from datetime import datetime as dtm

    m = yaml.safe_load(Path(mapping_path).read_text(encoding="utf-8"))
    year = m["year"]

    def fold(s):
        s = " ".join(str(s).split()).casefold()
        for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212":
            s = s.replace(dash, "-")
        return s

    scales = {}
    for q in QUESTIONS.values():
        if q.scale is not None:
            table = {"": None}
            table.update({fold(x): None for x in q.scale.missing})
            table.update({fold(x): x for x in q.scale.levels})
            table.update({fold(k): v for k, v in (m.get("labels") or {}).get(q.scale.name,
                                                                            {}).items()})
            scales[q.scale.name] = table
    areas = {"": None, "vet ej": None}
    for name in ("Annat område", "Annat", "Bor ej i kommunen"):
        areas[fold(name)] = "Annat område"
    for name, spec in m["areas"].items():
        areas[fold(name)] = name
        for alias in (spec or {}).get("aliases", []):
            areas[fold(alias)] = name
    checked = {fold(x) for x in m.get("checked", ["1", "x"])}
    unchecked = {fold(x) for x in m.get("unchecked", ["0", ""])}
    columns = m["columns"]
    required = m.get("required", [])
    window = m.get("duplicates", {}).get("window_minutes", 10) * 60
    order = ["tom_rad", "fel_antal_falt", "ogiltig_alder", "okant_omrade",
             "okant_svarsalternativ", "for_manga_val", "ogiltigt_datum", "saknar_bakgrund",
             "inga_svar"]

    valid = []   # (id, time, has_time, row number, answers)
    reasons = {}
    with open(csv_path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=";")
        header = next(reader)
        for rownum, cells in enumerate(reader, start=2):
            rec = dict(zip(header, cells, strict=False))
            problems = []
            if all(not c.strip() for c in cells):
                reasons["tom_rad"] = reasons.get("tom_rad", 0) + 1
                continue
            if len(cells) > len(header):
                problems.append("fel_antal_falt")
            row = {}
            answered = False
            for name, spec in columns.items():
                q = QUESTIONS.get(name)
                if name == "respondent_id":
                    row["id"] = rec.get(spec, "").strip()
                elif name == "submitted":
                    text = rec.get(spec, "").strip()
                    row["time"], row["has_time"] = None, False
                    if text:
                        try:
                            row["time"] = dtm.fromisoformat(text)
                            row["has_time"] = ":" in text
                        except ValueError:
                            problems.append("ogiltigt_datum")
                elif name in ("birth_year", "age"):
                    text = rec.get(spec, "").strip()
                    row["age_group"] = None
                    if text and text.casefold() != "vet ej":
                        try:
                            age = int(text) if name == "age" else year - int(text)
                        except ValueError:
                            age = -1
                        if 16 <= age <= 110:
                            row["age_group"] = ("16–24" if age < 25 else "25–44" if age < 45
                                                else "45–64" if age < 65 else "65–79"
                                                if age < 80 else "80+")
                        else:
                            problems.append("ogiltig_alder")
                            row["_bad_age_group"] = True
                elif name == "area":
                    key = fold(rec.get(spec, ""))
                    if key in areas:
                        row["area"] = areas[key]
                    else:
                        row["area"] = None
                        row["_bad_area"] = True
                        problems.append("okant_omrade")
                elif isinstance(spec, dict):  # multi-select, one column per option
                    ticked = []
                    for level, head in spec["options"].items():
                        v = fold(rec.get(head, ""))
                        if v in checked or v == fold(level):
                            ticked.append(level)
                        elif v not in unchecked:
                            problems.append("okant_svarsalternativ")
                    row[name] = tuple(ticked) if ticked else None
                    if ticked and not q.background:
                        answered = True
                    if q.max_choices and len(ticked) > q.max_choices:
                        problems.append("for_manga_val")
                elif q.kind == "text":
                    row[name] = rec.get(spec, "").strip() or None
                else:
                    table = scales[q.scale.name]
                    key = fold(rec.get(spec, ""))
                    if key not in table:
                        problems.append("okant_svarsalternativ")
                        row[name] = None
                        row[f"_bad_{name}"] = True
                    else:
                        row[name] = table[key]
                        if row[name] is not None and not q.background:
                            answered = True
            for name in required:
                if row.get(name) is None and not row.get(f"_bad_{name}"):
                    problems.append("saknar_bakgrund")
            if not answered:
                problems.append("inga_svar")
            if problems:
                first = min(problems, key=order.index)
                reasons[first] = reasons.get(first, 0) + 1
                continue
            answers = tuple(v for k, v in row.items()
                            if k not in ("id", "time", "has_time") and not k.startswith("_"))
            valid.append((row["id"], row["time"], row["has_time"], rownum, answers))

    # Duplicates: the same id (keep the earliest), then identical answers within the window.
    far = datetime.max
    valid.sort(key=lambda r: (r[0], r[1] or far, r[3]))
    seen_ids, rest, dup_id = set(), [], 0
    for rec in valid:
        if rec[0] and rec[0] in seen_ids:
            dup_id += 1
            continue
        seen_ids.add(rec[0])
        rest.append(rec)
    rest.sort(key=lambda r: (r[1] or far, r[3]))
    last_seen, dup_same = {}, 0
    for rec in rest:
        if not rec[2]:
            continue
        prev = last_seen.get(rec[4])
        last_seen[rec[4]] = rec[1]
        if prev is not None and (rec[1] - prev).total_seconds() <= window:
            dup_same += 1
    clean_rows = len(valid) - dup_id - dup_same
    return {"rows_clean": clean_rows, "quarantined": sum(reasons.values()),
            "duplicates": dup_id + dup_same, "reasons": reasons}


# ---------------------------------------------------------------------------
# Steps, each in a fresh process
# ---------------------------------------------------------------------------

def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its waited-for descendants."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        ru = resource.getrusage(who)
        total += ru.ru_utime + ru.ru_stime
    return total


def _peak_mb() -> float:
    """Peak RSS of this process: VmHWM, the high-water mark of its own address space.

    Not ``ru_maxrss``: Linux carries that over an ``execve`` from the address space
    the child was spawned with, and Python spawns with vfork, so a worker started
    by a 4 GB parent would report at least 4 GB. VmHWM starts afresh at exec.
    Falls back to ``ru_maxrss`` where /proc is missing.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Sampler:
    """A thread that calls ``sample()`` every ``interval`` seconds while in a ``with`` block."""

    def __init__(self, interval: float):
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self):
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class TreeSampler(_Sampler):
    """Peak of the summed RSS of this process and all its descendants (kernels, workers),
    and the CPU time of the kernels forked by a zygote.

    The zygote ignores SIGCHLD so that its kernels are reaped automatically, and the
    CPU time of a process reaped that way reaches nobody's ``RUSAGE_CHILDREN``: without
    this, a warm kernel's work would count as "other processes" and the cores a step
    obtained would be understated. The last CPU time seen of each forked kernel (one
    sample every ``interval``; a kernel's last moments, shutting down, may be missed).
    """

    def __init__(self, interval: float = 0.05):
        import psutil

        super().__init__(interval)
        self.proc = psutil.Process()
        self.peak = 0.0
        self._kernel_cpu: dict[tuple[int, float], float] = {}

    @property
    def forked_kernel_cpu(self) -> float:
        """CPU seconds (user + system) of the zygotes' kernels seen while sampling."""
        return sum(self._kernel_cpu.values())

    def sample(self):
        import psutil

        total = 0
        try:
            procs = [self.proc, *self.proc.children(recursive=True)]
        except psutil.Error:
            procs = [self.proc]
        zygotes = set()
        for p in procs:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
                if "ipykernel-zygote" in p.cmdline():
                    zygotes.add(p.pid)
        for p in procs:
            with contextlib.suppress(psutil.Error):
                if p.ppid() in zygotes:  # a kernel the zygote forked (and will reap)
                    t = p.cpu_times()
                    self._kernel_cpu[(p.pid, p.create_time())] = t.user + t.system
        self.peak = max(self.peak, total / 2 ** 20)


def _load_responses(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "responses.parquet")


def _rake(responses, folder: Path):
    from trygghet.weights import rake

    population = pd.read_csv(folder / "population.csv")
    return rake(responses, population, MARGINS, tolerance=1e-12, max_iter=1000)


def _estimates(responses, design, ci_method: str = "wilson"):
    from trygghet.estimate import estimate
    from trygghet.indicators import INDICATORS, respondent_values
    from trygghet.survey import group_columns

    t0 = time.perf_counter()
    values = respondent_values(responses)
    t1 = time.perf_counter()
    by = {"municipality": _municipality(responses["area"]), **group_columns(responses, BY)}
    kinds = {c: INDICATORS[c].kind for c in values.columns}
    table = estimate(values, design, by=by, kind=kinds, ci_method=ci_method)
    t2 = time.perf_counter()
    return table, {"indicators_s": t1 - t0, "estimate_s": t2 - t1, "estimate_rows": len(table)}


def drop_from_cache(path: Path) -> dict:
    """Drop ``path`` from the page cache: fsync, then ``posix_fadvise(POSIX_FADV_DONTNEED)``.

    Returns how it was done and, where ``fincore`` (util-linux) is installed, the
    share of the file still resident afterwards (0 when the drop worked). In a
    virtual machine the host's own cache below the guest may still hold the file.
    """
    out: dict = {"method": "posix_fadvise(POSIX_FADV_DONTNEED) after fsync"}
    if not hasattr(os, "posix_fadvise"):
        return {"method": "none (posix_fadvise not available): the run is warm"}
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    if shutil.which("fincore"):
        proc = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES,SIZE",
                               str(path)], capture_output=True, text=True)
        with contextlib.suppress(ValueError, IndexError):
            res, size = map(int, proc.stdout.split()[:2])
            out["resident_after"] = res / size if size else 0.0
    return out


def _children_rss_mb() -> float:
    """Summed RSS of this process's running children (the pseudonymiser's, in cleaning).

    Read from /proc (each thread's ``children``), which is cheap enough to do
    every 10 ms beside the chain; 0 where /proc is missing.
    """
    total = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 0.0
    for tid in tasks:
        with contextlib.suppress(OSError), open(f"/proc/self/task/{tid}/children") as fh:
            for pid in fh.read().split():
                with contextlib.suppress(OSError), open(f"/proc/{pid}/statm") as st:
                    total += int(st.read().split()[1])
    return total * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


class StageSampler(_Sampler):
    """Peak RSS per named stage (sampled every 10 ms): this process and its children."""

    def __init__(self):
        super().__init__(0.01)
        self.stage = "start"
        self.peaks: dict[str, float] = {}

    def sample(self):
        rss = _rss_mb() + _children_rss_mb()
        self.peaks[self.stage] = max(self.peaks.get(self.stage, 0.0), rss)

    @property
    def peak(self) -> float:
        return max(self.peaks.values(), default=0.0)


def run_chain(folder: Path, mapping, sampler: StageSampler | None = None) -> dict:
    """The export file to every estimate with its CI: load, clean, rake, estimate.

    As ``trygghet`` runs it: the raw table is dropped once it is cleaned and its
    memory given back (:func:`trygghet.load.release_memory`) before raking.
    """
    from trygghet import clean, load

    wall, cpu = [time.perf_counter()], [_cpu_seconds()]

    def stage(name):
        wall.append(time.perf_counter())
        # All threads (Arrow parses on both cores) and the pseudonymiser's child process.
        cpu.append(_cpu_seconds())
        if sampler is not None:
            sampler.stage = name

    stage("load")
    raw = load.read_export(folder / "export.csv", mapping)
    stage("clean")
    result = clean.clean(raw, mapping, key=KEY)
    del raw
    load.release_memory()
    stage("rake")
    responses = result.responses
    raking = _rake(responses, folder)
    stage("estimates")
    _, est_info = _estimates(responses, raking.design)
    stage("done")
    out = {"seconds": wall[-1] - wall[1], "cpu_s": cpu[-1] - cpu[1]}
    for k, part in enumerate(("load", "clean", "rake", "estimates"), start=1):
        out[f"{part}_s"] = wall[k + 1] - wall[k]
        out[f"{part}_cpu_s"] = cpu[k + 1] - cpu[k]
    return out | est_info


def profile_chain(folder: Path, out: Path) -> dict:
    """The chain once under cProfile: where its time goes (``profile_chain.txt``)."""
    import cProfile
    import io
    import pstats

    mapping = load_mapping(folder / "mapping.yml")
    profiler = cProfile.Profile()
    profiler.enable()
    info = run_chain(folder, mapping)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    text.write(f"# chain under cProfile (the profiler adds to Python-heavy parts): {info}\n")
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    out.write_text(text.getvalue(), encoding="utf-8")
    return info


def worker(step: str, folder: Path, arg: str | None) -> dict:
    """Run one step; returns seconds, RSS before the clock and the process's peak RSS."""
    from trygghet import clean, load

    info: dict = {}
    tree_peak = 0.0
    if step.endswith("_cold"):
        # A new export, as a user meets it: not in the page cache.
        step = step.removesuffix("_cold")
        info["cache"] = drop_from_cache(folder / ("responses.parquet" if step == "load_parquet"
                                                  else "export.csv"))
    mapping = load_mapping(folder / "mapping.yml")
    if step == "load_csv":
        before = _rss_mb()
        t0 = time.perf_counter()
        raw = load.read_export(folder / "export.csv", mapping)
        secs = time.perf_counter() - t0
        info["rows"] = raw.rows_in
    elif step == "load_parquet":
        import pyarrow.parquet as pq

        before = _rss_mb()
        t0 = time.perf_counter()
        responses = _load_responses(folder)
        secs = time.perf_counter() - t0
        meta = pq.ParquetFile(folder / "responses.parquet").metadata
        dict_cols = sum(any("DICTIONARY" in e for e in meta.row_group(0).column(j).encodings)
                        for j in range(meta.num_columns))
        info |= {"rows": len(responses), "parquet_mb": (folder / "responses.parquet").stat()
                 .st_size / 2 ** 20, "dictionary_columns": f"{dict_cols}/{meta.num_columns}",
                 "categorical_columns": int(sum(isinstance(d, pd.CategoricalDtype)
                                                for d in responses.dtypes))}
    elif step == "clean":
        raw = load.read_export(folder / "export.csv", mapping)
        before = _rss_mb()
        with StageSampler() as sampler:
            t0 = time.perf_counter()
            result = clean.clean(raw, mapping, key=KEY)
            secs = time.perf_counter() - t0
        info["rows_clean"] = result.log["rows_clean"]
        tree_peak = sampler.peak
    elif step == "clean_naive":
        before = _rss_mb()
        t0 = time.perf_counter()
        info = naive_clean(folder / "export.csv", folder / "mapping.yml")
        secs = time.perf_counter() - t0
    elif step == "rake":
        responses = _load_responses(folder)
        before = _rss_mb()
        t0 = time.perf_counter()
        raking = _rake(responses, folder)
        secs = time.perf_counter() - t0
        info |= {"iterations": raking.diagnostics["iterations"],
                 "cells": int(raking.design.n_cells)}
    elif step == "estimates":
        responses = _load_responses(folder)
        design = _rake(responses, folder).design
        before = _rss_mb()
        t0 = time.perf_counter()
        _, info = _estimates(responses, design)
        secs = time.perf_counter() - t0
    elif step == "chain":
        before = _rss_mb()
        with StageSampler() as sampler:
            info |= run_chain(folder, mapping, sampler)
        secs = info.pop("seconds")
        info["stage_peak_mb"] = dict(sampler.peaks)
        tree_peak = sampler.peak
    elif step == "chain_profile":
        before = _rss_mb()
        info |= profile_chain(folder, Path(arg))
        secs = info.pop("seconds")
    elif step == "r_ours":
        sub = Path(arg)
        responses = pd.read_parquet(sub / "responses.parquet")
        population = pd.read_csv(sub / "population.csv")
        before = _rss_mb()
        t0 = time.perf_counter()
        table = _subsample_estimates(responses, population)
        secs = time.perf_counter() - t0
        table.to_csv(sub / "ours.csv", index=False)
    elif step in ("floor", "report", "areas_seq", "areas_par", "region", "region_coldkernels"):
        # trygghet's own modules are loaded before the clock for every report step alike;
        # papermill, nbconvert and WeasyPrint load inside it (a report pays for them).
        if step == "region_coldkernels":  # the baseline: every kernel started afresh
            os.environ["TRYGGHET_WARM_KERNELS"] = "0"
        from trygghet import pipeline, render  # noqa: F401
        from trygghet.schema import slug  # noqa: F401

        before = _rss_mb()
        cpu0 = _cpu_seconds()
        with TreeSampler() as sampler:
            t0 = time.perf_counter()
            info = _report_step(step, Path(arg))
            secs = time.perf_counter() - t0
        # CPU seconds of the whole tree: pool workers, zygotes and kernels started cold
        # are waited for (RUSAGE_CHILDREN holds them), the zygotes' kernels are sampled.
        # cpu / wall = cores the step actually obtained.
        info["forked_kernel_cpu_seconds"] = sampler.forked_kernel_cpu
        info["cpu_seconds"] = _cpu_seconds() - cpu0 + sampler.forked_kernel_cpu
        return {"seconds": secs, "rss_before_mb": before,
                "peak_mb": max(sampler.peak, _peak_mb()), "info": info,
                "unreaped_cpu_s": sampler.forked_kernel_cpu}
    else:
        raise SystemExit(f"unknown step {step}")
    # (with the children sampled where a step has them: the pseudonymiser's process)
    return {"seconds": secs, "rss_before_mb": before, "peak_mb": max(_peak_mb(), tree_peak),
            "info": info}


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------

FLOOR_NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "floor", "metadata": {},
               "outputs": [],
               "source": "import pandas as pd\nimport matplotlib.pyplot as plt\n"
                         "import seaborn as sns"}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def _copy_sample(folder: Path, parts=("config", "data/raw", "data/reference")):
    """The bundled example workspace's files (the notebooks are the toolkit's)."""
    for part in parts:
        shutil.copytree(EXAMPLE / part, folder / part, dirs_exist_ok=True)


def make_report_project(folder: Path) -> Path:
    """A temporary copy of the bundled sample project (one municipality), prepared."""
    from trygghet import pipeline
    from trygghet.config import Project

    folder.mkdir(parents=True, exist_ok=True)
    _copy_sample(folder)
    os.environ.setdefault("TRYGGHET_PSEUDONYM_KEY", KEY.decode())
    pipeline.prepare(Project(folder), REPORT_YEAR, lambda _: None)
    (folder / "floor.ipynb").write_text(json.dumps(FLOOR_NOTEBOOK), encoding="utf-8")
    return folder


def make_region(folder: Path, n: int, echo=print) -> list[Path]:
    """``n`` municipal workspaces: the sample project generated with ``n`` seeds, prepared.

    Each is a workspace of its own (config, raw exports and reference
    files of three years), cleaned and estimated here, before any clock; the
    workspaces are reused when ``folder`` already holds them.
    """
    from trygghet import pipeline, sample
    from trygghet.config import Project
    from trygghet.errors import TrygghetError

    os.environ.setdefault("TRYGGHET_PSEUDONYM_KEY", KEY.decode())
    roots = []
    start = time.perf_counter()
    for k in range(n):
        root = folder / f"kommun_{k + 1:02d}"
        done = root / ".prepared"
        for attempt in range(5):
            if done.exists():
                break
            # A seed whose small sample leaves a weighting cell empty (no man over 80)
            # is refused by the raking, as it would be for a real municipality: the
            # next seed is taken (which one is recorded).
            seed = REGION_SEED + 100 * k + attempt
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True, exist_ok=True)
            _copy_sample(root, ("config", "data/reference"))
            sample.generate(root, seed=seed)
            try:
                pipeline.prepare(Project(root), REPORT_YEAR, lambda _: None)
            except TrygghetError:
                continue
            done.write_text(str(seed), encoding="utf-8")
        roots.append(root)
    echo(f"region: {n} workspaces in {folder} ({time.perf_counter() - start:.0f} s)")
    return roots


def report_areas(project_root: Path) -> list[str]:
    return list(load_mapping(project_root / "config" / "surveys" / f"{REPORT_YEAR}.yml").areas)


def _report_step(step: str, root: Path) -> dict:
    from trygghet import pipeline, render
    from trygghet.config import Project
    from trygghet.schema import slug

    nb = Project(root).notebook(pipeline.SURVEY_NOTEBOOK)   # the toolkit's notebook
    cwd = str(root)   # the kernel works in the workspace, as `trygghet report` runs it
    out = Path(tempfile.mkdtemp(prefix="reports-", dir=root))
    try:
        if step == "floor":
            from nbconvert import HTMLExporter
            from weasyprint import HTML

            timings = {}
            t0 = time.perf_counter()
            render.execute_notebook(root / "floor.ipynb", out / "floor.ipynb", cwd=cwd)
            timings["execute"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            body, _ = HTMLExporter().from_filename(str(out / "floor.ipynb"))
            (out / "floor.html").write_text(body, encoding="utf-8")
            timings["html"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            (out / "floor.pdf").write_bytes(HTML(string="<html><body></body></html>").write_pdf())
            timings["pdf"] = time.perf_counter() - t0
            return {"timings": timings}
        if step == "report":
            result = render.render_notebook(nb, out, f"trygghetsrapport_{REPORT_YEAR}",
                                            {"year": REPORT_YEAR}, ("html", "pdf"), cwd=cwd)
            pdf = result.files["pdf"]
            return {"timings": result.timings, "pdf_kb": pdf.stat().st_size / 1024,
                    "pdf_pages": _pages(pdf)}
        if step.startswith("region"):
            # One yearly report per municipality, rendered as `trygghet report --root A
            # --root B …` renders them: one pool of two workers for every workspace.
            roots = sorted(p for p in root.iterdir() if (p / ".prepared").exists())
            jobs = [render.RenderJob(Project(r).notebook(pipeline.SURVEY_NOTEBOOK), out / r.name,
                                     f"trygghetsrapport_{REPORT_YEAR}", {"year": REPORT_YEAR},
                                     ("ipynb", "html", "pdf"), str(r))
                    for r in roots]
            done = []
            with render.worker_pool(2):
                render.render_parallel(jobs, 2, lambda *r: done.append(r))
            return {"reports": len(done), "warm_kernels": step == "region",
                    "sum_of_report_seconds": sum(sum(t.values()) for _, _, t in done)}
        jobs = [render.RenderJob(nb, out, f"trygghetsrapport_{REPORT_YEAR}_{slug(a)}",
                                 {"year": REPORT_YEAR, "area": a}, ("ipynb", "html", "pdf"), cwd)
                for a in report_areas(root)]
        if step == "areas_seq":
            done = [render.render_job(j) for j in jobs]
        else:  # as `trygghet report --area alla --jobs 2` renders them
            done = []
            render.render_parallel(jobs, 2, lambda *r: done.append(r))
        return {"reports": len(done),
                "sum_of_report_seconds": sum(sum(t.values()) for _, _, t in done)}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _pages(pdf: Path) -> int | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return len(PdfReader(pdf).pages)


# ---------------------------------------------------------------------------
# Baseline (c): R's survey package on a subsample
# ---------------------------------------------------------------------------

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survey))
dir <- commandArgs(trailingOnly = TRUE)[1]
spec <- read.csv(file.path(dir, "spec.csv"), colClasses = "character")
get <- function(k) strsplit(spec$value[spec$key == k], ";", fixed = TRUE)[[1]]
shares <- get("shares"); means <- get("means"); by <- get("by")
t_read <- proc.time()[["elapsed"]]
d <- read.csv(file.path(dir, "data.csv"), na.strings = "", stringsAsFactors = FALSE,
              check.names = FALSE, encoding = "UTF-8")
pop_sa <- read.csv(file.path(dir, "pop_sexage.csv"), stringsAsFactors = FALSE, encoding = "UTF-8")
pop_area <- read.csv(file.path(dir, "pop_area.csv"), stringsAsFactors = FALSE, encoding = "UTF-8")
names(pop_sa) <- c("sexage", "Freq"); names(pop_area) <- c("area", "Freq")
d$w0 <- sum(pop_area$Freq) / nrow(d)
t0 <- proc.time()[["elapsed"]]
des <- svydesign(ids = ~1, weights = ~w0, data = d)
des <- rake(des, list(~sexage, ~area), list(pop_sa, pop_area),
            control = list(maxit = 1000, epsilon = 1e-12))
t1 <- proc.time()[["elapsed"]]
rows <- list()
for (g in by) {
  for (v in c(shares, means)) {
    f <- as.formula(paste0("~", v)); b <- as.formula(paste0("~", g))
    if (v %in% shares) {
      r <- suppressWarnings(svyby(f, b, des, svyciprop, method = "logit", vartype = c("se", "ci"),
                                  na.rm = TRUE))
    } else {
      r <- svyby(f, b, des, svymean, na.rm = TRUE)
    }
    # svyciprop's own interval (confint() of an svyby would give a normal one)
    ci <- if (v %in% shares) cbind(r$ci_l, r$ci_u) else matrix(NA, nrow(r), 2)
    rows[[length(rows) + 1]] <- data.frame(variable = v, group_var = g, group = r[[g]],
                                           estimate = as.numeric(coef(r)),
                                           se = as.numeric(SE(r)),
                                           ci_low = ci[, 1], ci_high = ci[, 2])
  }
}
t2 <- proc.time()[["elapsed"]]
write.csv(do.call(rbind, rows), file.path(dir, "r_estimates.csv"), row.names = FALSE)
# Not timed: svymean of the shares too, to check the estimates where svyciprop's
# svyglm fit diverges on a domain.
check <- list()
for (g in by) {
  for (v in shares) {
    r <- svyby(as.formula(paste0("~", v)), as.formula(paste0("~", g)), des, svymean,
               na.rm = TRUE)
    check[[length(check) + 1]] <- data.frame(variable = v, group_var = g, group = r[[g]],
                                             estimate = as.numeric(coef(r)),
                                             se = as.numeric(SE(r)))
  }
}
write.csv(do.call(rbind, check), file.path(dir, "r_svymean.csv"), row.names = FALSE)
writeLines(sprintf("%.6f %.6f %.6f %.6f", t0 - t_read, t1 - t0, t2 - t1, t2 - t0),
           file.path(dir, "r_seconds.txt"))
"""


def _subsample_estimates(responses: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """What R computes on the subsample: rake, then the shares (logit CI) and means by
    municipality and by area."""
    from trygghet.estimate import estimate
    from trygghet.indicators import INDICATORS, respondent_values
    from trygghet.weights import rake

    raking = rake(responses, population, MARGINS, tolerance=1e-12, max_iter=1000)
    values = respondent_values(responses)[list(R_SHARES + R_MEANS)]
    by = {"municipality": _municipality(responses["area"]), "area": responses["area"]}
    kinds = {c: INDICATORS[c].kind for c in values.columns}
    return estimate(values, raking.design, by=by, kind=kinds, ci_method="logit", total=False)


def make_r_subsample(folder: Path, sub: Path, n_municipalities: int) -> dict:
    """The first ``n_municipalities`` municipalities' respondents, raked to their own margins."""
    from trygghet.indicators import respondent_values

    sub.mkdir(parents=True, exist_ok=True)
    responses = _load_responses(folder)
    muni = _municipality(responses["area"])
    keep_munis = list(muni.cat.categories[:n_municipalities])
    keep = muni.isin(keep_munis).to_numpy()
    part = responses[keep].reset_index(drop=True)
    part["area"] = part["area"].cat.remove_unused_categories()
    part.attrs = responses.attrs
    part.to_parquet(sub / "responses.parquet", index=False)
    # Population margins of these municipalities' areas.
    profiles = [p for p in _profiles_from_population(folder)
                if p.split(" – ")[0] in set(keep_munis)]
    pop = _subsample_population(folder, profiles)
    pop.to_csv(sub / "population.csv", index=False)
    sa = pop[pop["dimension"] == "sex:age_group"]
    pd.DataFrame({"level": sa["level"], "Freq": sa["population"]}).to_csv(
        sub / "pop_sexage.csv", index=False)
    ar = pop[pop["dimension"] == "area"]
    pd.DataFrame({"level": ar["level"], "Freq": ar["population"]}).to_csv(
        sub / "pop_area.csv", index=False)
    values = respondent_values(part)
    data = pd.DataFrame({
        "sexage": (part["sex"].astype(str) + ":" + part["age_group"].astype(str)).to_numpy(),
        "area": part["area"].astype(str).to_numpy(),
        "municipality": _municipality(part["area"]).astype(str).to_numpy()})
    for c in R_SHARES + R_MEANS:
        data[c] = values[c].to_numpy()
    data.to_csv(sub / "data.csv", index=False)
    spec = {"shares": ";".join(R_SHARES), "means": ";".join(R_MEANS),
            "by": "municipality;area"}
    pd.DataFrame({"key": list(spec), "value": list(spec.values())}).to_csv(
        sub / "spec.csv", index=False)
    (sub / "survey.R").write_text(R_SCRIPT, encoding="utf-8")
    return {"rows": len(part), "municipalities": len(keep_munis),
            "areas": int(part["area"].nunique())}


def _profiles_from_population(folder: Path) -> list[str]:
    pop = pd.read_csv(folder / "population.csv")
    return pop.loc[pop["dimension"] == "area", "level"].tolist()


def _subsample_population(folder: Path, areas: list[str]) -> pd.DataFrame:
    """Margins of a set of areas, recomputed from the same deterministic population table."""
    rng = np.random.default_rng([SEED, *_dataset_key(folder)])
    profiles = national_profiles(_dataset_key(folder)[1], rng)
    chosen = tuple(p for p in profiles if p.name in set(areas))
    return population_reference(chosen)


def _dataset_key(folder: Path) -> tuple[int, int]:
    info = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
    return info["requested_rows"], info["municipalities"]


def run_r(sub: Path) -> dict:
    """Rscript on the subsample: seconds (read, rake, svyby, rake + svyby)."""
    t0 = time.perf_counter()
    subprocess.run(["Rscript", str(sub / "survey.R"), str(sub)], check=True,
                   capture_output=True, text=True)
    wall = time.perf_counter() - t0
    read, rake_s, svyby_s, compute = map(float, (sub / "r_seconds.txt").read_text().split())
    return {"seconds": compute, "read_s": read, "rake_s": rake_s, "svyby_s": svyby_s,
            "wall_s": wall}


def compare_r(sub: Path) -> dict:
    """Largest absolute differences between trygghet and R on the subsample.

    R's ``svyciprop(method = "logit")`` fits ``svyglm`` per domain, and on a
    calibrated domain (the other rows kept with weight 0) that fit sometimes
    diverges: R then reports a share of exactly 0 or 1 with a positive SE and a
    collapsed interval — impossible for a real share. Such rows are judged by R's
    own output alone, compared on the SE only, and listed.
    """
    ours = pd.read_csv(sub / "ours.csv")
    theirs = pd.read_csv(sub / "r_estimates.csv")
    theirs["group"] = theirs["group"].astype(str)
    m = ours.merge(theirs, on=["variable", "group_var", "group"], suffixes=("", "_r"))
    share = m["variable"].isin(R_SHARES)
    diverged = share & (m["se_r"] > 0) & ((m["estimate_r"] <= 0) | (m["estimate_r"] >= 1)
                                          | ~(m["ci_high_r"] > m["ci_low_r"]))
    out = {"rows_compared": len(m), "rows_r": len(theirs), "rows_ours": len(ours),
           "r_fit_diverged": int(diverged.sum()),
           "r_fit_diverged_rows": [f"{r.variable}/{r.group} (n={r.n}): R {r.estimate_r:.3g} "
                                   f"[{r.ci_low_r:.3g}, {r.ci_high_r:.3g}], ours "
                                   f"{r.estimate:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"
                                   for r in m[diverged].itertuples()]}
    ok = m[~diverged]
    for col, frame in (("estimate", ok), ("se", m), ("ci_low", ok), ("ci_high", ok)):
        both = frame[[col, f"{col}_r"]].dropna()
        out[f"max_abs_diff_{col}"] = (float(np.max(np.abs(both[col] - both[f"{col}_r"])))
                                      if len(both) else None)
    # R's svymean of the same shares (untimed): estimates and SEs of every row,
    # the diverged ones included.
    means = sub / "r_svymean.csv"
    if means.exists():
        sm = pd.read_csv(means)
        sm["group"] = sm["group"].astype(str)
        mm = ours.merge(sm, on=["variable", "group_var", "group"], suffixes=("", "_r"))
        out["svymean_rows"] = len(mm)
        out["max_abs_diff_svymean_estimate"] = float(np.max(np.abs(mm["estimate"]
                                                                   - mm["estimate_r"])))
        out["max_abs_diff_svymean_se"] = float(np.max(np.abs(mm["se"] - mm["se_r"])))
    return out


# ---------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------

def _cpu_busy() -> float:
    """CPU seconds every process on the machine has used since boot (``/proc/stat``)."""
    with contextlib.suppress(OSError):
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]
        user, nice, system, _idle, _iowait, irq, softirq = map(int, fields)
        return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    return float("nan")


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_step(step: str, folder: Path, repeat: int, arg: str | None = None, echo=print) -> dict:
    runs, other = [], []
    for i in range(repeat):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", step,
               "--data", str(folder)] + (["--arg", str(arg)] if arg else [])
        # What the rest of the machine used meanwhile: all CPU time minus the
        # worker's own (with its kernels and pools, which it waits for). The load
        # average cannot tell this apart: it counts the benchmark's own steps.
        busy, ours, wall = _cpu_busy(), _children_cpu(), time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
        busy, ours = _cpu_busy() - busy, _children_cpu() - ours
        wall = time.perf_counter() - wall
        if proc.returncode != 0:
            raise RuntimeError(f"step {step} failed:\n{proc.stderr[-4000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        # (the worker's forked kernels, whose CPU no RUSAGE_CHILDREN holds, are ours too)
        ours += result.get("unreaped_cpu_s", 0.0)
        other.append({"cpu_s": max(0.0, busy - ours), "wall_s": wall})
        runs.append(result)
        echo(f"  {step} run {i + 1}/{repeat}: {result['seconds']:.2f} s, "
             f"peak {result['peak_mb']:.0f} MB")
    return {"seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mb": max(r["peak_mb"] for r in runs),
            "rss_before_mb": statistics.median(r["rss_before_mb"] for r in runs),
            "runs": [r["seconds"] for r in runs], "info": runs[-1]["info"],
            "all_info": [r["info"] for r in runs], "other_processes": other}


def _median_info(step: dict, key: str) -> float:
    return statistics.median(i[key] for i in step["all_info"])


def _fmt_s(s: float | None) -> str:
    if s is None:
        return "–"
    return f"{s:.2f} s" if s < 100 else f"{s:.0f} s"


def _fmt_mb(mb: float | None) -> str:
    if mb is None:
        return "–"
    return f"{mb / 1024:.2f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def build_table(res: dict) -> list[dict]:
    """Rows: step, time, memory, baseline, ratio, target, met."""
    s = res["steps"]
    rows = []

    def add(step, t, mem, baseline="", ratio="", target="", met=""):
        rows.append({"step": step, "time": t, "memory": mem, "baseline": baseline,
                     "ratio": ratio, "target": target, "met": met})

    n = res["dataset"]["rows"]
    add(f"load CSV ({n:,} rows, {res['dataset']['csv_mb']:.0f} MB), warm",
        _fmt_s(s["load_csv"]["seconds"]), _fmt_mb(s["load_csv"]["peak_mb"]))
    if "load_csv_cold" in s:
        cold = s["load_csv_cold"]
        add(f"load CSV, cold ({_cache_note(cold)})", _fmt_s(cold["seconds"]),
            _fmt_mb(cold["peak_mb"]), f"warm {_fmt_s(s['load_csv']['seconds'])}",
            f"{cold['seconds'] / s['load_csv']['seconds']:.2f}× warm")
    add(f"load parquet ({s['load_parquet']['info']['parquet_mb']:.0f} MB, "
        f"{s['load_parquet']['info']['dictionary_columns']} dictionary-encoded)",
        _fmt_s(s["load_parquet"]["seconds"]), _fmt_mb(s["load_parquet"]["peak_mb"]),
        f"load CSV {_fmt_s(s['load_csv']['seconds'])}",
        f"{s['load_csv']['seconds'] / s['load_parquet']['seconds']:.0f}× faster")
    ours = s["load_csv"]["seconds"] + s["clean"]["seconds"]
    naive = s["clean_naive"]["seconds"]
    same = s["clean_naive"]["info"]["rows_clean"] == s["clean"]["info"]["rows_clean"]
    add(f"clean ({s['clean']['info']['rows_clean']:,} clean rows; naive finds the same: "
        f"{'yes' if same else 'NO'})", _fmt_s(s["clean"]["seconds"]),
        _fmt_mb(s["clean"]["peak_mb"]),
        f"row-by-row {_fmt_s(naive)} (vs load + clean {_fmt_s(ours)})",
        f"{naive / ours:.1f}× faster", "same clean count", "met" if same else "NOT MET")
    add(f"rake (sex × age, {res['dataset']['areas']:,} areas)", _fmt_s(s["rake"]["seconds"]),
        _fmt_mb(s["rake"]["peak_mb"]))
    est = s["estimates"]
    add(f"all indicators with CIs by municipality, area, sex, age, relation "
        f"({est['info']['estimate_rows']:,} estimates)", _fmt_s(est["seconds"]),
        _fmt_mb(est["peak_mb"]))
    for key, label, target in (("chain", "warm", CHAIN_WARM_S),
                               ("chain_cold", "cold", CHAIN_COLD_S)):
        if key not in s:
            continue
        ch = s[key]
        ok = ch["seconds"] <= target and ch["peak_mb"] <= CHAIN_PEAK_MB
        note = f", {_cache_note(ch)}" if label == "cold" else ""
        add(f"export → estimates, {label}{note}: load CSV + clean + rake + estimates",
            _fmt_s(ch["seconds"]), _fmt_mb(ch["peak_mb"]),
            f"CPU {_fmt_s(_median_info(ch, 'cpu_s'))}", "",
            f"≤ {target:.0f} s, ≤ {CHAIN_PEAK_MB / 1024:.0f} GB", "met" if ok else "NOT MET")
        for part in ("load", "clean", "rake", "estimates"):
            peak = max((i.get("stage_peak_mb", {}).get(part, 0.0) for i in ch["all_info"]),
                       default=0.0)
            add(f"  … {part} ({label} chain)", _fmt_s(_median_info(ch, f"{part}_s")),
                _fmt_mb(peak) if peak else "", f"CPU {_fmt_s(_median_info(ch, f'{part}_cpu_s'))}")
    if "r" in res:
        r = res["r"]
        ratio = r["seconds"] / s["r_ours"]["seconds"]
        diff = max(v for k, v in r["compare"].items() if k.startswith("max_abs") and v is not None)
        ok = ratio >= 10 and diff <= 1e-6
        c = r["compare"]
        add(f"rake + estimates, R subsample ({r['subsample']['rows']:,} rows, "
            f"{r['subsample']['municipalities']} municipalities, {r['subsample']['areas']} areas;"
            f" {c['rows_compared']} estimates, max abs diff vs R {diff:.1e}; R's svyglm diverged"
            f" on {c['r_fit_diverged']}, checked against R's svymean)",
            _fmt_s(s["r_ours"]["seconds"]),
            _fmt_mb(s["r_ours"]["peak_mb"]), f"R survey {_fmt_s(r['seconds'])}",
            f"{ratio:.0f}× faster", "≥ 10×, equal to 1e-6", "met" if ok else "NOT MET")
    if "report" in s:
        fl, rp = s["floor"], s["report"]
        add("floor: papermill (imports only) + nbconvert + WeasyPrint empty page",
            _fmt_s(fl["seconds"]), _fmt_mb(fl["peak_mb"]))
        ratio = rp["seconds"] / fl["seconds"]
        add(f"one municipality's report (execute + HTML + PDF, "
            f"{rp['info'].get('pdf_pages')} pages)", _fmt_s(rp["seconds"]),
            _fmt_mb(rp["peak_mb"]), f"floor {_fmt_s(fl['seconds'])}", f"{ratio:.2f}× floor",
            f"≤ {REPORT_VS_FLOOR}× floor", "met" if ratio <= REPORT_VS_FLOOR else "NOT MET")
        sq, pr = s["areas_seq"], s["areas_par"]
        add("12 area reports, sequential", _fmt_s(sq["seconds"]), _fmt_mb(sq["peak_mb"]))
        speed = sq["seconds"] / pr["seconds"]
        cores = ""
        if "cpu_seconds" in pr["info"]:
            c_sq = _median_info(sq, "cpu_seconds") / sq["seconds"]
            c_pr = _median_info(pr, "cpu_seconds") / pr["seconds"]
            cores = f"; cores obtained: sequential {c_sq:.2f}, parallel {c_pr:.2f} of 2"
        add(f"12 area reports, 2 processes{cores}", _fmt_s(pr["seconds"]),
            _fmt_mb(pr["peak_mb"]), f"sequential {_fmt_s(sq['seconds'])}",
            f"{speed:.2f}× faster", "≥ 1.7×", "met" if speed >= 1.7 else "NOT MET")
    if "region" in s:
        rg = s["region"]
        n_reports = rg["info"]["reports"]
        base, ratio = "", ""
        if "region_coldkernels" in s:
            cold = s["region_coldkernels"]
            base = f"kernels started cold {_fmt_s(cold['seconds'])}"
            ratio = f"{cold['seconds'] / rg['seconds']:.2f}× faster"
        cores = ""
        if "cpu_seconds" in rg["info"]:
            cores = f"; cores obtained {_median_info(rg, 'cpu_seconds') / rg['seconds']:.2f} of 2"
        add(f"a police region: {n_reports} municipal reports (one workspace each), 2 "
            f"processes, warm kernels{cores}", _fmt_s(rg["seconds"]), _fmt_mb(rg["peak_mb"]),
            base, ratio, f"≤ {REGION_S / 60:.0f} min for 33",
            ("met" if rg["seconds"] <= REGION_S else "NOT MET") if n_reports == 33 else "")
    return rows


def _cache_note(step: dict) -> str:
    """How the cold runs dropped the file from the page cache, and what stayed resident."""
    cache = step["info"].get("cache", {})
    resident = [i.get("cache", {}).get("resident_after") for i in step["all_info"]]
    resident = [r for r in resident if r is not None]
    note = "dropped with posix_fadvise" if "fadvise" in cache.get("method", "") else \
        cache.get("method", "?")
    if resident:
        note += f", {max(resident):.0%} resident after"
    return note


def render_table(rows: list[dict]) -> str:
    head = ["step", "median time", "peak memory", "baseline", "ratio", "target", "met"]
    keys = ["step", "time", "memory", "baseline", "ratio", "target", "met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--municipalities", type=int, default=290)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--r-municipalities", type=int, default=3,
                    help="whole municipalities in R's subsample (default 3)")
    ap.add_argument("--skip-reports", action="store_true")
    ap.add_argument("--skip-r", action="store_true")
    ap.add_argument("--reports-only", action="store_true",
                    help="re-run only the report steps and merge them into --out/results.json")
    ap.add_argument("--keep", type=Path, default=None,
                    help="keep the generated data in this folder (and reuse it if it matches)")
    ap.add_argument("--region", type=int, default=33,
                    help="municipal workspaces in the police-region step (default 33; 0: none)")
    ap.add_argument("--profile", action="store_true",
                    help="also run the chain once under cProfile (--out/profile_chain.txt)")
    ap.add_argument("--quick", action="store_true",
                    help="100,000 rows, 29 municipalities, one repeat, a region of 4, no R")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--arg", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.municipalities, args.repeat = 100_000, 29, 1
        args.region, args.skip_r = min(args.region, 4), True

    if args.worker:
        print(json.dumps(worker(args.worker, args.data, args.arg)))
        return 0

    def echo(msg):
        print(msg, flush=True)

    started = time.perf_counter()
    tmp = None
    if args.keep:
        folder = args.keep.resolve()
    else:
        tmp = Path(tempfile.mkdtemp(prefix="trygghet-bench-"))
        folder = tmp / "national"
    try:
        info_path = folder / "dataset.json"
        reuse = False
        if info_path.exists():
            old = json.loads(info_path.read_text(encoding="utf-8"))
            reuse = (old.get("requested_rows") == args.rows
                     and old.get("municipalities") == args.municipalities
                     and (folder / "responses.parquet").exists())
        if reuse:
            dataset = old
            echo(f"data: reusing {folder} ({dataset['rows']:,} rows)")
        else:
            dataset = make_dataset(folder, args.rows, args.municipalities, echo)
            dataset["requested_rows"] = args.rows
            dataset["clean"] = prepare_parquet(folder)
            info_path.write_text(json.dumps(dataset, indent=1), encoding="utf-8")
        res = {"command": " ".join(["benchmarks/bench.py", *(argv or sys.argv[1:])]),
               "date": datetime.now().isoformat(timespec="seconds"),
               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "platform": platform.platform(), "pandas": pd.__version__,
                           "numpy": np.__version__,
                           "memory_gb": round(os.sysconf("SC_PAGE_SIZE")
                                              * os.sysconf("SC_PHYS_PAGES") / 2 ** 30, 1)},
               "repeat": args.repeat, "dataset": dataset, "steps": {}}
        if args.reports_only:
            previous = json.loads((args.out / "results.json").read_text(encoding="utf-8"))
            res = {**previous, "reports_rerun": {"command": res["command"], "date": res["date"]}}
        steps = res["steps"]
        data_steps = () if args.reports_only else (
            "load_csv", "load_csv_cold", "load_parquet", "clean", "clean_naive", "rake",
            "estimates", "chain", "chain_cold")
        for step in data_steps:
            echo(f"{step} …")
            steps[step] = run_step(step, folder, args.repeat, echo=echo)
        if args.profile and data_steps:
            echo("chain under cProfile …")
            args.out.mkdir(parents=True, exist_ok=True)
            steps["chain_profile"] = run_step("chain_profile", folder, 1,
                                              arg=str(args.out / "profile_chain.txt"),
                                              echo=echo)
        if data_steps and \
                steps["clean_naive"]["info"]["rows_clean"] != steps["clean"]["info"]["rows_clean"]:
            echo(f"WARNING: the row-by-row cleaning found "
                 f"{steps['clean_naive']['info']['rows_clean']:,} clean rows, trygghet "
                 f"{steps['clean']['info']['rows_clean']:,}")

        if args.reports_only:
            pass
        elif not args.skip_r and shutil.which("Rscript"):
            sub = folder.parent / "r-subsample"
            subsample = make_r_subsample(folder, sub, args.r_municipalities)
            echo(f"R subsample: {subsample['rows']:,} rows …")
            steps["r_ours"] = run_step("r_ours", folder, args.repeat, arg=str(sub), echo=echo)
            r_runs = []
            for i in range(args.repeat):
                r_runs.append(run_r(sub))
                echo(f"  R run {i + 1}/{args.repeat}: {r_runs[-1]['seconds']:.1f} s "
                     f"(rake {r_runs[-1]['rake_s']:.1f} s, svyby {r_runs[-1]['svyby_s']:.1f} s)")
            res["r"] = {"subsample": subsample,
                        "seconds": statistics.median(r["seconds"] for r in r_runs),
                        "runs": r_runs, "compare": compare_r(sub),
                        "what": "svydesign + rake(sex:age_group, area) + svyby(svyciprop logit"
                                " / svymean) of " + ", ".join(R_SHARES + R_MEANS)
                                + " by municipality and by area"}
            echo(f"  R vs trygghet: {res['r']['compare']}")
        elif not args.skip_r:
            echo("R: Rscript not found, baseline (c) skipped")

        if not args.skip_reports:
            project = make_report_project(folder.parent / "report-project")
            for step in ("floor", "report", "areas_seq", "areas_par"):
                echo(f"{step} …")
                steps[step] = run_step(step, folder, args.repeat, arg=str(project), echo=echo)
            if args.region:
                region = folder.parent / f"region-{args.region}"
                make_region(region, args.region, echo)
                echo("region …")
                steps["region"] = run_step("region", folder, args.repeat, arg=str(region),
                                           echo=echo)
                echo("region_coldkernels (baseline, once) …")
                steps["region_coldkernels"] = run_step("region_coldkernels", folder, 1,
                                                       arg=str(region), echo=echo)

        res["seconds_total" if not args.reports_only else "seconds_reports_rerun"] = \
            time.perf_counter() - started
        rows = build_table(res)
        res["table"] = rows
        table = render_table(rows)
        other = [x for st in steps.values() for x in st.get("other_processes", [])]
        cpu, wall = sum(x["cpu_s"] for x in other), sum(x["wall_s"] for x in other)
        res["other_processes"] = {"cpu_s": cpu, "wall_s": wall}
        note = (f"Other processes used {cpu:.0f} CPU-seconds during the {wall:.0f} s of "
                f"timed runs ({cpu / max(wall, 1e-9):.0%} of one core)")
        if cpu > 0.05 * wall:
            note += ": the times are inflated and the parallel speed-up understated"
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(res, indent=1, default=str),
                                               encoding="utf-8")
        md = (f"# trygghet benchmark\n\n`{res['command']}` on {res['date']}, "
              f"{res['machine']['cpus']} cores, {res['machine']['memory_gb']} GB; medians of "
              f"{args.repeat} runs, each in a fresh process; peak RSS (VmHWM; process tree "
              f"for reports). {note}.\n\n{table}\n")
        if "reports_rerun" in res:
            md += (f"\nReport steps re-run with `{res['reports_rerun']['command']}` on "
                   f"{res['reports_rerun']['date']}.\n")
        (args.out / "results.md").write_text(md, encoding="utf-8")
        echo("")
        echo(table)
        echo(f"\n{note}.")
        echo(f"\nresults: {args.out / 'results.json'}, {args.out / 'results.md'} "
             f"({time.perf_counter() - started:.0f} s)")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
