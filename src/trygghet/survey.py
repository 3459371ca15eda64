"""The survey year: weights, estimates, changes and bands as the output contract wants them.

:mod:`trygghet.estimate` is the numerical engine (any values, any design, any
groups); this module applies it to one survey year of the canonical frame:

* :func:`estimate_survey` — the year's design decides the method (a random
  sample is raked and weighted; an opt-in survey gets plain shares of the
  respondents with a model-based adjusted estimate beside them), and every
  indicator × group becomes one row of ``estimates.parquet``.
* :func:`primary_design` — the same weighted design, for an analyst's own
  breakdowns in a notebook.
* :func:`changes` — the change of every indicator × group between two years,
  with series breaks.
* :func:`differ` — whether two disjoint groups differ significantly.
* :func:`add_bands` — the text band of an index value.
* :func:`response_rates` — usable answers / sent, overall and per stratum.

Population margins are reconciled (:func:`trygghet.population.reconcile`)
before raking, and a stratified sample (``design.strata`` in the mapping)
starts from the base weights ``N_h / n_h`` and keeps its strata and finite
population correction for the variance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special

from .errors import TrygghetError
from .estimate import estimate
from .population import for_weighting, margin_name
from .weights import Raking, Strata, WeightedDesign, kish, rake, strata_diagnostics

if TYPE_CHECKING:
    from .questionnaire import Questionnaire

# --- A survey year: the estimates table of the output contract -----------------

ESTIMATE_COLUMNS = ["year", "indicator", "kind", "group_var", "group", "estimate_type", "n",
                    "count", "estimate", "se", "ci_low", "ci_high", "ci_method", "df",
                    "generalisable", "model_based", "sampling", "questions", "suppressed",
                    "suppression_reason", "symbol", "band", "note"]
NOTES = {
    "unweighted": "Andel av de svarande (ovägd). Ej slumpmässigt urval – resultaten kan inte "
                  "generaliseras till befolkningen.",
    "adjusted": "Modellbaserad justering: de svarande kalibrerade mot befolkningens fördelning "
                "({margins}). Intervallet är indikativt, inte en felmarginal.",
    "weighted": "",
}


@dataclass
class SurveyEstimates:
    """Everything the estimation stage computes for one survey year.

    ``estimates`` follows the output contract but is *not yet* through
    disclosure control (:func:`trygghet.suppress.protect`); ``weights`` has
    ``respondent_id, weight`` for the raked respondents; ``diagnostics`` is
    what ``weighting.json`` holds.
    """

    estimates: pd.DataFrame
    weights: pd.DataFrame | None
    diagnostics: dict[str, Any]


def group_columns(responses: pd.DataFrame, names: list[str] | tuple[str, ...] | None,
                  questionnaire: Questionnaire | None = None) -> dict[str, Any]:
    """Groupings for :func:`estimate` from canonical columns.

    A single-choice column (sex, area, …) is a partition; a multi-select
    question (relation) gives overlapping groups, one per option, labelled
    by the option (``bor``, ``arbetar``, ``vistas``). Only what
    :func:`trygghet.config.check_by` allows in ``estimation.by`` is a grouping,
    also for settings built in code: an identifier, a timestamp or free text
    would publish one group per respondent.
    """
    from .config import check_by, groupings_of
    from .questionnaire import resolve
    from .schema import option_column

    questions = resolve(questionnaire).questions
    names = groupings_of(names, questions)
    check_by(names, questions=questions)
    out: dict[str, Any] = {}
    for name in names:
        q = questions[name]
        if q.kind == "multi":
            out[name] = pd.DataFrame({lev: responses[option_column(name, lev)]
                                      for lev in q.answer_scale.levels}, index=responses.index)
        elif name in responses.columns:
            out[name] = responses[name]
        else:
            raise TrygghetError(f"kan inte redovisa efter '{name}': ingen sådan "
                                "bakgrundsfråga", column="estimation.by")
    return out


def estimate_survey(responses: pd.DataFrame, population: pd.DataFrame | None,
                    settings: dict[str, Any] | None = None,
                    questionnaire: Questionnaire | None = None) -> SurveyEstimates:
    """Weights and estimates of every indicator × group for one survey year.

    The year's design (``responses.attrs["sampling"]``) decides the method:

    * ``probability`` — rake all respondents to the population margins
      (a respondent who cannot be raked is an error) and publish weighted
      estimates with design-based CIs (``estimate_type = "weighted"``).
    * ``opt_in`` — the primary figures are unweighted shares *of the
      respondents* (``"unweighted"``, not generalisable). Beside them sits a
      raked, model-based ``"adjusted"`` estimate with an indicative interval;
      respondents who cannot be raked (no sex/age/area, "Annat område") are
      left out of that one only, and counted in the diagnostics.

    Indicators whose questions were not asked that year get rows with
    ``suppression_reason = "not_asked"`` (symbol ``.``). Which indicators
    there are, and how each is computed, is the questionnaire's (default:
    the bundled one).
    """
    from .config import DEFAULT_SETTINGS
    from .indicators import respondent_values
    from .questionnaire import resolve

    questionnaire = resolve(questionnaire)
    INDICATORS = questionnaire.indicators  # noqa: N806 (the questionnaire's table)

    settings = settings or DEFAULT_SETTINGS
    wset = {**DEFAULT_SETTINGS["weighting"], **settings.get("weighting", {})}
    eset = {**DEFAULT_SETTINGS["estimation"], **settings.get("estimation", {})}
    attrs = responses.attrs
    sampling = attrs.get("sampling")
    if sampling not in ("opt_in", "probability"):
        raise TrygghetError("okänd urvalsdesign för året (attrs['sampling'])",
                            hint="mappningens design.sampling ska vara opt_in eller probability")
    year = _survey_year(responses)
    not_asked = set(attrs.get("not_asked", []))
    values = respondent_values(responses, questionnaire=questionnaire)
    kinds = {name: INDICATORS[name].kind for name in values.columns}
    by = group_columns(responses, eset["by"], questionnaire)
    est_args = {"kind": kinds, "ci_method": eset["ci_method"], "level": eset["level"]}
    diagnostics: dict[str, Any] = {"year": year, "sampling": sampling,
                                   "respondents": len(responses)}
    frames, weights = [], None

    if sampling == "probability":
        rates = response_rates(responses)
        if rates is not None:
            diagnostics["response"] = rates.to_dict(orient="records")
        raking = _rake_probability(responses, population, wset, year)
        frames.append(_typed(estimate(values, raking.design, by=by, **est_args),
                             "weighted", generalisable=True, model_based=False))
        diagnostics["weighting"] = raking.diagnostics
        weights = _weights_frame(responses, raking)
    else:
        frames.append(_typed(estimate(values, None, by=by, **est_args), "unweighted",
                             generalisable=False, model_based=False))
        if population is None:
            diagnostics["weighting"] = None
            diagnostics["adjusted"] = "ingen befolkningsfil: ingen justerad skattning"
        else:
            raking = _rake_or_base(responses, population, wset, unrakeable="exclude")
            keep = raking.included
            sub_by = {k: (v[keep]) for k, v in by.items()}
            adjusted = estimate(values[keep], raking.design, by=sub_by, **est_args)
            note = NOTES["adjusted"].format(margins=", ".join(margin_name(m)
                                                              for m in wset["margins"]))
            frames.append(_typed(adjusted, "adjusted", generalisable=False, model_based=True,
                                 note=note))
            diagnostics["weighting"] = raking.diagnostics
            weights = _weights_frame(responses, raking)

    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "year", year)
    table = table.rename(columns={"variable": "indicator"})
    table["sampling"] = sampling
    asked = {name: ",".join(q for q in ind.questions if q not in not_asked)
             for name, ind in INDICATORS.items()}
    table["questions"] = table["indicator"].map(asked).fillna("")
    unavailable = table["questions"].eq("")
    table["suppressed"] = unavailable.to_numpy()
    table["suppression_reason"] = np.where(unavailable, "not_asked", "")
    table["symbol"] = ""
    table["band"] = ""
    # Keep the first estimate type of each indicator × group first (primary, then adjusted).
    order = {t: i for i, t in enumerate(("weighted", "unweighted", "adjusted"))}
    ind_order = {name: i for i, name in enumerate(INDICATORS)}
    table = table.assign(_i=table["indicator"].map(ind_order),
                         _t=table["estimate_type"].map(order))
    table = table.sort_values(["_i", "_t"], kind="stable").drop(columns=["_i", "_t"])
    return SurveyEstimates(estimates=table[ESTIMATE_COLUMNS].reset_index(drop=True),
                           weights=weights, diagnostics=diagnostics)


def primary_design(responses: pd.DataFrame, population: pd.DataFrame | None,
                   settings: dict[str, Any] | None = None) -> WeightedDesign | None:
    """The design of the year's primary estimates, for an analyst's own breakdowns.

    A random sample is raked exactly as :func:`estimate_survey` rakes it; an
    opt-in survey has no design (``None``): its primary figures are the plain
    shares of the respondents. Pass the result to :func:`estimate`.
    """
    from .config import DEFAULT_SETTINGS

    settings = settings or DEFAULT_SETTINGS
    if responses.attrs.get("sampling") != "probability":
        return None
    wset = {**DEFAULT_SETTINGS["weighting"], **settings.get("weighting", {})}
    return _rake_probability(responses, population, wset, _survey_year(responses)).design


def survey_strata(responses: pd.DataFrame) -> Strata | None:
    """The year's strata (``design.strata`` of the mapping, kept in ``responses.attrs``).

    ``attrs["strata"]`` is ``{"column": name, "population": {stratum: N_h}}``
    or ``{"column": name, "fraction": f or {stratum: f_h}}``; ``None`` for an
    unstratified sample.
    """
    spec = responses.attrs.get("strata")
    if not spec:
        return None
    column = spec.get("column")
    if column not in responses.columns:
        raise TrygghetError(f"stratumkolumnen '{column}' finns inte bland svaren",
                            column="design.strata.column",
                            hint="ange en kolumn som mappningen läser in, t.ex. area, och kör "
                                 "trygghet clean igen")
    return Strata.from_column(responses[column], population=spec.get("population"),
                              fraction=spec.get("fraction"))


RESPONSE_INDICATOR = "svarsandel"


def response_rates(responses: pd.DataFrame) -> pd.DataFrame | None:
    """The response rate, overall and per stratum, where the design says how many were sent.

    The rate is *usable answers / sent*: the respondents left after cleaning
    (quarantined rows and duplicates are not answers) over the gross sample
    (``design.sent``, and ``design.strata.sent`` per stratum). Nobody sent is
    removed as ineligible (moved, deceased, unreachable), so it is close to
    AAPOR's RR2 with every sampled person counted as eligible, and if anything
    an underestimate.

    Returns
    -------
    DataFrame or None
        ``None`` unless the year is a random sample with ``sent`` per stratum.
        Otherwise one row for the total (``group_var = "total"``) and one per
        stratum (``group_var`` = the stratum column), in the columns the
        disclosure gate reads: ``n`` = sent, ``count`` = usable answers,
        ``estimate`` = the rate (a share, ``kind = "share"``). Publish it
        only through :func:`trygghet.suppress.protect`: a rate with its
        counts publishes how many answered and how many did not.

    Raises
    ------
    TrygghetError
        A stratum in ``design.strata.sent`` that the year does not have, a
        stratum with respondents but no number sent, or one with more
        usable answers than were sent.
    """
    from .mapping import normalise

    spec = responses.attrs.get("strata") or {}
    sent = spec.get("sent")
    if responses.attrs.get("sampling") != "probability" or not sent:
        return None
    column = spec["column"]
    if column not in responses.columns:
        raise TrygghetError(f"stratumkolumnen '{column}' finns inte bland svaren",
                            column="design.strata.column")
    answers = responses[column].astype("string").value_counts(dropna=True)
    known = {normalise(k): str(k) for k in answers.index}
    if column == "area":  # an area can be sent the survey and give no answer
        known |= {normalise(a): a for a in responses.attrs.get("areas") or []}
    given = {normalise(k): v for k, v in sent.items()}
    unknown = [k for k in sent if normalise(k) not in known]
    if unknown:
        raise TrygghetError(f"design.strata.sent nämner stratumet '{unknown[0]}', som inte "
                            f"finns i kolumnen '{column}'", column="design.strata.sent",
                            hint="strata: " + ", ".join(sorted(known.values())))
    rows = []
    for key, label in sorted(known.items(), key=lambda kv: kv[1]):
        n_answers = int(answers.get(label, 0))
        if key not in given:
            if n_answers:
                raise TrygghetError(f"stratumet '{label}' har {n_answers} svarande men inget "
                                    "antal utskick i design.strata.sent",
                                    column="design.strata.sent",
                                    hint="ange utskicken för varje stratum")
            continue
        if n_answers > given[key]:
            raise TrygghetError(f"stratumet '{label}' har {n_answers} användbara svar men bara "
                                f"{given[key]} utskick: svarsandelen kan inte vara över 100 %",
                                column=f"design.strata.sent.{label}",
                                hint="ange hela bruttourvalet i stratumet")
        rows.append((column, label, given[key], n_answers))
    total_sent = sum(r[2] for r in rows)
    rows.insert(0, ("total", "Totalt", total_sent, len(responses)))
    frame = pd.DataFrame(rows, columns=["group_var", "group", "n", "count"])
    frame.insert(0, "year", _survey_year(responses))
    frame.insert(1, "indicator", RESPONSE_INDICATOR)
    frame["kind"] = "share"
    frame["estimate_type"] = "response"
    frame["estimate"] = frame["count"] / frame["n"]
    return frame


def _survey_year(responses: pd.DataFrame) -> int:
    return int(responses.attrs.get("year") or responses["year"].dropna().iloc[0])


def _rake_probability(responses, population, wset, year: int):
    """A random sample must be weighted: rake it, or say that the population is missing."""
    if population is None:
        raise TrygghetError(f"befolkningsuppgifter saknas för {year}: ett slumpmässigt "
                            "urval måste vägas", hint=f"lägg in population_{year}.csv "
                            "(dimension,level,population) i data/reference/")
    return _rake_or_base(responses, population, wset)


def _rake_or_base(responses: pd.DataFrame, population: pd.DataFrame, wset: dict[str, Any],
                  unrakeable: str = "error") -> Raking:
    """Reconcile the margins and rake; with no margins, the base weights alone.

    Base weights are ``N/n``, or ``N_h/n_h`` in a stratified sample (only a
    random sample has strata: an opt-in year's adjusted estimate never does).
    """
    strata = survey_strata(responses) if unrakeable == "error" else None
    margins = wset["margins"]
    pop, reconciliation = for_weighting(population, margins, wset)
    if margins:
        raking = rake(responses, pop, margins, tolerance=wset["tolerance"],
                      max_iter=wset["max_iter"], trim=wset["trim"], collapse=wset["collapse"],
                      unrakeable=unrakeable, strata=strata)
        raking.diagnostics["reconciliation"] = reconciliation
        return raking
    total = float(pop.groupby("dimension")["population"].sum().iloc[0])
    w = np.full(len(responses), total / len(responses)) if strata is None \
        else strata.base_weights()
    diagnostics = {"n": len(w), "population": total, "kish_n_eff": kish(w),
                   "deff": len(w) / kish(w) if strata is not None else 1.0, "margins": {},
                   "excluded": 0}
    if strata is not None:
        diagnostics["strata"] = strata_diagnostics(strata)
    return Raking(weights=pd.Series(w, index=responses.index, name="weight"),
                  design=WeightedDesign.weighted(w, strata),
                  included=np.ones(len(responses), dtype=bool), diagnostics=diagnostics)


def _weights_frame(responses: pd.DataFrame, raking) -> pd.DataFrame:
    ids = (responses["respondent_id"] if "respondent_id" in responses.columns
           else pd.Series(responses.index.astype(str), index=responses.index))
    return pd.DataFrame({"respondent_id": ids[raking.included].astype(str).to_numpy(),
                         "weight": raking.weights.to_numpy()})


def _typed(frame: pd.DataFrame, estimate_type: str, *, generalisable: bool, model_based: bool,
           note: str | None = None) -> pd.DataFrame:
    out = frame.drop(columns=["n_domain", "weight_sum"])
    out["estimate_type"] = estimate_type
    out["generalisable"] = generalisable
    out["model_based"] = model_based
    out["note"] = NOTES[estimate_type] if note is None else note
    if estimate_type == "unweighted":
        out.loc[out["kind"] == "mean", "note"] = out["note"].str.replace(
            "Andel av de svarande", "Medelvärde för de svarande", regex=False)
    return out


def add_bands(table: pd.DataFrame, questionnaire: Questionnaire | None = None) -> pd.DataFrame:
    """Fill ``band`` with the text label of an index value (the questionnaire's
    ``indices.bands``); "" otherwise."""
    from .indicators import band, index_config

    config = index_config(questionnaire)
    out = table.copy()
    is_mean = out["kind"].eq("mean") & out["estimate"].notna()
    out["band"] = [band(v, config) or "" if m else ""
                   for v, m in zip(out["estimate"].to_numpy(dtype=float, na_value=np.nan),
                                   is_mean, strict=True)]
    return out


# --- Significance --------------------------------------------------------------


def normal_quantile(level: float = 0.95) -> float:
    """``z_{1−α/2}`` of a two-sided interval at confidence ``level`` (1,96 at 0,95)."""
    if not 0 < level < 1:
        raise TrygghetError("konfidensnivån ska ligga mellan 0 och 1", column="estimation.level")
    return float(special.ndtri(0.5 + level / 2))


def differ(a: Any, b: Any, level: float = 0.95) -> bool:
    """Whether two disjoint groups' estimates differ at confidence ``level``.

    ``a`` and ``b`` are estimate rows (``estimate`` and ``se``). The groups
    are treated as independent, ``SE = √(SE₁² + SE₂²)``, and differ when
    ``|est₁ − est₂| > z · SE`` with the normal ``z`` of ``level``: for
    disjoint domains of one sample the covariance is close to zero. No SE (a
    suppressed side, an opt-in year's figures) or ``SE = 0`` never differs.
    """
    z = normal_quantile(level)
    est_a, est_b, se_a, se_b = (np.nan if pd.isna(v) else float(v)
                                for v in (a["estimate"], b["estimate"], a["se"], b["se"]))
    se = np.hypot(se_a, se_b)
    return bool(np.isfinite(se) and se > 0 and abs(est_a - est_b) > z * se)


# --- Change between years -------------------------------------------------------

CHANGE_COLUMNS = ["year_from", "year_to", "indicator", "kind", "group_var", "group",
                  "estimate_type_from", "estimate_type_to", "estimate_from", "estimate_to",
                  "n_from", "n_to", "n", "diff", "se", "ci_low", "ci_high", "significant",
                  "series_break", "note", "suppressed", "suppression_reason", "symbol"]
PRIMARY = ("weighted", "unweighted")


def changes(earlier: pd.DataFrame, later: pd.DataFrame, level: float = 0.95,
            questionnaire: Questionnaire | None = None) -> pd.DataFrame:
    """Change of every indicator × group between two years' *published* estimates.

    ``diff = later − earlier`` (for shares a difference of proportions, i.e.
    procentenheter / 100). Between two probability samples asking the same
    questions, the two estimates are independent: ``SE = √(SE₁² + SE₂²)``,
    CI ``diff ± z·SE`` (normal ``z``), *significant* when the CI excludes 0.

    A **series break** — a change of design (opt-in ↔ probability sample)
    or of the questions behind the indicator — gets ``series_break = True``,
    no SE, CI or significance (NA), and a Swedish note saying why. Two opt-in
    years are no break but allow no inference either. A side that is
    suppressed suppresses the change (``secondary``; ``not_asked`` if the
    question was not asked). So is a change the ``questionnaire`` declares
    (a question's wording or scale changed between the years,
    :meth:`~trygghet.questionnaire.Questionnaire.comparable`): a series
    break, with the questionnaire's reason in the note.
    """
    keys = ["indicator", "kind", "group_var", "group"]
    cols = keys + ["year", "estimate_type", "estimate", "se", "n", "sampling", "questions",
                   "suppressed", "suppression_reason"]
    a = earlier[earlier["estimate_type"].isin(PRIMARY)][cols]
    b = later[later["estimate_type"].isin(PRIMARY)][cols]
    m = a.merge(b, on=keys, suffixes=("_from", "_to"), how="inner")
    if m.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    y0, y1 = int(m["year_from"].iloc[0]), int(m["year_to"].iloc[0])
    s0, s1 = m["sampling_from"].iloc[0], m["sampling_to"].iloc[0]
    design_break = s0 != s1
    both_opt_in = s0 == s1 == "opt_in"
    question_break = (m["questions_from"] != m["questions_to"]) & (m["questions_from"] != "") \
        & (m["questions_to"] != "")
    declared = {}
    if questionnaire is not None:
        declared = {name: questionnaire.comparable(name, y0, y1)[1]
                    for name in m["indicator"].unique() if name in questionnaire.indicators}
    changed = m["indicator"].map(lambda name: bool(declared.get(name))).to_numpy(dtype=bool)
    brk = design_break | question_break.to_numpy() | changed
    inference = ~brk & (not both_opt_in)

    est0 = m["estimate_from"].to_numpy(dtype=float, na_value=np.nan)
    est1 = m["estimate_to"].to_numpy(dtype=float, na_value=np.nan)
    se0 = m["se_from"].to_numpy(dtype=float, na_value=np.nan)
    se1 = m["se_to"].to_numpy(dtype=float, na_value=np.nan)
    diff = est1 - est0
    se = np.where(inference, np.sqrt(se0 ** 2 + se1 ** 2), np.nan)
    z = normal_quantile(level)
    low, high = diff - z * se, diff + z * se
    significant = pd.array(np.where(np.isnan(se), None, (low > 0) | (high < 0)),
                           dtype="boolean")

    design_names = {"opt_in": "en självselekterad webbenkät", "probability":
                    "ett slumpmässigt urval"}
    notes = np.full(len(m), "", dtype=object)
    if both_opt_in:
        notes[:] = (f"Både {y0} och {y1} är självselekterade webbenkäter: förändringen kan "
                    "inte signifikansprövas.")
    notes[question_break.to_numpy()] = (f"Seriebrott: frågorna bakom indikatorn skiljer sig "
                                        f"mellan {y0} och {y1}. Ingen slutsats om förändring "
                                        "kan dras.")
    for i in np.flatnonzero(changed):
        notes[i] = (f"Seriebrott: {declared[m['indicator'].iloc[i]]}. Åren jämförs inte; "
                    "ingen slutsats om förändring kan dras.")
    if design_break:
        notes[:] = (f"Seriebrott: {y0} var {design_names.get(s0, s0)}, {y1} "
                    f"{design_names.get(s1, s1)}. Åren visas var för sig; ingen slutsats om "
                    "förändring kan dras.")
    not_asked = (m["suppression_reason_from"].eq("not_asked")
                 | m["suppression_reason_to"].eq("not_asked")).to_numpy()
    hidden = (m["suppressed_from"].astype(bool) | m["suppressed_to"].astype(bool)).to_numpy()
    reason = np.where(not_asked, "not_asked", np.where(hidden, "secondary", ""))
    for col, y in (("suppression_reason_from", y0), ("suppression_reason_to", y1)):
        notes[m[col].eq("not_asked").to_numpy()] = f"Frågan ställdes inte {y}."
    notes[(reason == "secondary")] = ("Minst ett av åren redovisas inte (för få svarande "
                                      "eller röjanderisk): förändringen redovisas inte heller.")
    n0 = m["n_from"].astype("Int64")
    n1 = m["n_to"].astype("Int64")
    out = pd.DataFrame({
        "year_from": y0, "year_to": y1,
        "indicator": m["indicator"], "kind": m["kind"], "group_var": m["group_var"],
        "group": m["group"],
        "estimate_type_from": m["estimate_type_from"], "estimate_type_to": m["estimate_type_to"],
        "estimate_from": est0, "estimate_to": est1, "n_from": n0, "n_to": n1,
        "n": pd.concat([n0, n1], axis=1).min(axis=1, skipna=False).astype("Int64"),
        "diff": diff, "se": se, "ci_low": low, "ci_high": high, "significant": significant,
        "series_break": brk, "note": notes.astype(str),
        "suppressed": reason != "", "suppression_reason": reason, "symbol": "",
    })
    return out[CHANGE_COLUMNS].reset_index(drop=True)
