"""Issue 14, done when: the bundled 2020 sample's answers, exported the ways real tools
export them, clean to the SAME estimates as the label export.

The re-exports are built from the sample's own export file, cell by cell:

* (a) answer codes in a semicolon "CSV UTF-8" with a BOM (Enalyzer/Netigate style:
  1 = first level, 9 = Vet ej; sex 1 = Man, 2 = Kvinna as in the registers; areas by
  number) plus a codebook as Swedish Excel saves it (semicolons, Windows-1252, the
  question written once above its codes) — and the same codes given in the mapping
  (``codes:``) instead of a codebook;
* (b) an SPSS ``.sav`` written with pyreadstat: short variable names, the question
  texts as variable labels, the codes with value labels, no code list in the mapping;
* (c) a Google Forms CSV: commas, UTF-8, each check-box question in one cell joined
  with ", ", where two priority options contain ", " themselves.

Every item-level problem of the sample (unknown labels, too many priorities) costs
one answer, never the respondent; the estimates frames are compared whole.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import EXAMPLE, copy_sample, run_main

from trygghet.answers import answer_table, area_table
from trygghet.mapping import Multi, load_mapping, normalise
from trygghet.questionnaire import default_questionnaire

QUESTIONS = default_questionnaire().questions  # the sample's questionnaire

pytestmark = pytest.mark.slow

YEAR = 2020
SAMPLE = EXAMPLE / "data" / "raw" / "2020" / "trygghet_2020_export.csv"
UNKNOWN_CODE = "99"  # a code the codebook does not list (what an unknown label becomes)


def _sample_rows() -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(SAMPLE.read_bytes().decode("cp1252")), delimiter=";"))
    return rows[0], rows[1:]


def _base_mapping() -> dict:
    """The shipped 2020 mapping, with the default item_problems (answer)."""
    m = yaml.safe_load((EXAMPLE / "config/surveys/2020.yml").read_text(encoding="utf-8"))
    m.pop("item_problems", None)
    m["source"].pop("file")
    return m


class Coder:
    """Codes of the 2020 mapping's single questions: level i → i + 1, a "missing" label
    → 9, an unknown label → 99; sex 1 = Man, 2 = Kvinna; areas numbered in order."""

    def __init__(self):
        self.mapping = load_mapping(EXAMPLE / "config/surveys/2020.yml")
        self.areas = list(self.mapping.areas)

    def scale_of(self, name: str):
        return QUESTIONS[name].answer_scale

    def codes(self, name: str) -> dict[str, str | None]:
        """code → canonical label (None = missing) for the question ``name``."""
        if name == "area":  # (9 is an area: "Vet ej" is 0 here)
            return {**{str(i + 1): a for i, a in enumerate(self.areas)}, "0": None}
        if name == "sex":
            return {"1": "Man", "2": "Kvinna", "9": None}
        levels = self.scale_of(name).levels
        return {**{str(i + 1): lv for i, lv in enumerate(levels)}, "9": None}

    def code(self, name: str, value: str) -> str:
        if not value.strip():
            return ""
        table = area_table(self.mapping)[0] if name == "area" else \
            answer_table(self.scale_of(name), self.mapping, name)
        key = normalise(value)
        if key not in table:
            return UNKNOWN_CODE
        label = table[key]
        if label is None:
            return "0" if name == "area" else "9"
        return next(c for c, lv in self.codes(name).items() if lv == label)

    def coded_columns(self) -> dict[str, str]:
        """header → question of every column that gets codes."""
        out = {}
        for name, spec in self.mapping.columns.items():
            if isinstance(spec, Multi) or name not in QUESTIONS:
                continue
            if QUESTIONS[name].kind == "single":
                out[spec] = name
        return out


def _coded(headers, rows, coder: Coder) -> list[list[str]]:
    where = coder.coded_columns()
    return [[coder.code(where[h], v) if h in where else v for h, v in zip(headers, r,
                                                                        strict=True)]
            for r in rows]


def _write_codebook(path: Path, coder: Coder) -> None:
    """Swedish Excel's "CSV (semikolonavgränsad)": cp1252, CRLF, the question once."""
    lines = ["Fråga;Kod;Etikett"]
    for header, name in coder.coded_columns().items():
        labels = {c: "Vet ej" if lv is None else lv for c, lv in coder.codes(name).items()}
        for i, (code, label) in enumerate(labels.items()):
            lines.append(f"{header if i == 0 else ''};{code};{label}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def _write_csv(path: Path, headers, rows, *, delimiter: str, encoding: str) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(headers)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _write_sav(path: Path, headers, rows, coder: Coder) -> None:
    import pyreadstat

    where = coder.coded_columns()
    data, labels, value_labels = {}, [], {}
    for j, header in enumerate(headers):
        var = f"V{j + 1}"
        cells = [r[j] for r in rows]
        if header in where:
            data[var] = pd.Series([float(c) if c else float("nan") for c in cells])
            value_labels[var] = {float(c): (lv if lv is not None else "Vet ej")
                                 for c, lv in coder.codes(where[header]).items()}
        else:
            data[var] = pd.Series(cells, dtype=object)
        labels.append(header)
    pyreadstat.write_sav(pd.DataFrame(data), str(path), column_labels=labels,
                         variable_value_labels=value_labels)


MULTI_TEXTS = {  # Google Forms' one-cell header and the option text of each option column
    "relation": "Relation till området",
    "unsafe_times": "F3. Mest otrygg",
    "priorities": "F8. Prioritera",
}


def _google_forms(headers, rows, coder: Coder) -> tuple[list[str], list[list[str]], dict]:
    """Option columns (1/0) → one ", "-joined cell per question; the mapping to read it."""
    m = _base_mapping()
    groups: dict[str, list[tuple[int, str]]] = {}
    for name, spec in coder.mapping.columns.items():
        if isinstance(spec, Multi) and spec.options:
            prefix = MULTI_TEXTS[name]
            groups[name] = [(headers.index(h), h.split(": ", 1)[1])
                            for h in spec.options.values()]
            m["columns"][name] = {"header": prefix, "separator": ", "}
            labels = m.setdefault("labels", {}).setdefault(QUESTIONS[name].answer_scale.name, {})
            for level, h in spec.options.items():
                text = h.split(": ", 1)[1]
                if normalise(text) != normalise(level):
                    labels[text] = level
    drop = {i for cols in groups.values() for i, _ in cols}
    out_headers = [h for i, h in enumerate(headers) if i not in drop] + \
        [MULTI_TEXTS[n] for n in groups]
    out_rows = []
    for r in rows:
        cells = [v for i, v in enumerate(r) if i not in drop]
        for cols in groups.values():
            cells.append(", ".join(text for i, text in cols if r[i].strip() == "1"))
        out_rows.append(cells)
    assert any("," in text for cols in groups.values() for _, text in cols)
    return out_headers, out_rows, m


def _run(root: Path, mapping: dict, export: Path, name: str) -> tuple[pd.DataFrame, dict]:
    path = root / "config" / f"{name}.yml"
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    for args in (["clean", "--mapping", str(path), "--input", str(export)], ["estimate"]):
        done = run_main("--root", str(root), args[0], "--year", str(YEAR), *args[1:])
        assert done.returncode == 0, (name, done.stderr)
    out = root / "data" / "processed" / str(YEAR)
    log = json.loads((out / "cleaning_log.json").read_text(encoding="utf-8"))
    return pd.read_parquet(out / "estimates.parquet"), log


MODE = "Webbenkät (exporterad som etiketter)"


@pytest.fixture(scope="module")
def label_run(tmp_path_factory):
    """The sample's label export under the default rules: the reference estimates."""
    from trygghet.config import Project
    from trygghet.report_survey import load_survey_report, method_text

    root = copy_sample(tmp_path_factory.mktemp("exports"))
    m = _base_mapping()
    m["design"]["mode"] = MODE  # (the shipped 2020.yml says otherwise)
    estimates, log = _run(root, m, SAMPLE, "labels")
    rep = load_survey_report(YEAR, compare_years=[YEAR], project=Project(root))
    return root, estimates, log | {"_method": method_text(rep)}


def _no_row_lost_to_an_item(log: dict) -> None:
    assert not {"okant_svarsalternativ", "for_manga_val"} & set(log["reasons"])
    assert log["answers_missing"] > 0
    assert log["rows_in"] == log["rows_clean"] + log["rows_quarantined"] + \
        log["duplicates_removed"]


def test_the_report_describes_the_mapping_clean_was_given(label_run):
    assert MODE.lower() in label_run[2]["_method"].lower()


def test_label_export_keeps_respondents_with_item_problems(label_run):
    _, estimates, log = label_run
    _no_row_lost_to_an_item(log)
    # The ten rows the sample quarantined for an unknown answer or too many priorities
    # are kept: 1 124 → 1 134 respondents (the shipped mapping keeps the old rule).
    assert log["rows_clean"] == 1134
    assert log["answer_reasons"] == {"okant_svarsalternativ": 4, "for_manga_val": 6}


@pytest.mark.parametrize("how", ["codebook", "codes"])
def test_codes_give_the_label_estimates(label_run, how):
    root, reference, ref_log = label_run
    coder = Coder()
    headers, rows = _sample_rows()
    export = root / "data" / "raw" / "2020" / "koder.csv"
    _write_csv(export, headers, _coded(headers, rows, coder), delimiter=";",
               encoding="utf-8-sig")
    m = _base_mapping()
    if how == "codebook":
        _write_codebook(root / "data" / "raw" / "2020" / "kodbok.csv", coder)
        m["codebook"] = "data/raw/2020/kodbok.csv"
    else:
        m["codes"] = {scale: {int(c): lv for c, lv in coder.codes(q).items()}
                      for q, scale in (("safe_evening", "safety"), ("refrained", "refrained"),
                                       ("worry", "worry"), ("problem_klotter", "problem"),
                                       ("victim_hot", "yes_no"), ("trust_police", "trust"),
                                       ("sex", "sex"), ("area", "area"))}
    estimates, log = _run(root, m, export, how)
    _no_row_lost_to_an_item(log)
    assert log["rows_clean"] == ref_log["rows_clean"]
    pd.testing.assert_frame_equal(estimates, reference)


def test_sav_gives_the_label_estimates(label_run):
    root, reference, ref_log = label_run
    coder = Coder()
    headers, rows = _sample_rows()
    export = root / "data" / "raw" / "2020" / "export.sav"
    _write_sav(export, headers, _coded(headers, rows, coder), coder)
    estimates, log = _run(root, _base_mapping(), export, "sav")  # no code list at all
    _no_row_lost_to_an_item(log)
    assert log["read"]["format"] == "sav"
    assert log["rows_clean"] == ref_log["rows_clean"]
    pd.testing.assert_frame_equal(estimates, reference)


def test_google_forms_gives_the_label_estimates(label_run):
    root, reference, ref_log = label_run
    headers, rows = _sample_rows()
    headers, rows, m = _google_forms(headers, rows, Coder())
    export = root / "data" / "raw" / "2020" / "google_forms.csv"
    _write_csv(export, headers, rows, delimiter=",", encoding="utf-8")
    assert "Mängdbrott (stöld, inbrott, skadegörelse)" in export.read_text(encoding="utf-8")
    estimates, log = _run(root, m, export, "google")
    _no_row_lost_to_an_item(log)
    assert log["rows_clean"] == ref_log["rows_clean"]
    pd.testing.assert_frame_equal(estimates, reference)
