"""Did a cleaning run keep enough? The stop before a run's outputs are written.

A run that quarantines most rows, or that makes *utsatt* 100 %, has almost
always read the export wrongly: a wrong delimiter, a code list missing, blank
check-boxes read as missing answers. Writing its outputs would overwrite the
last good ones with figures no one should publish, so :func:`check_kept` raises
a :class:`TrygghetError` naming the cause, an example and the fix, and the
caller (``pipeline.clean_year``) writes nothing. Limits: the settings'
``cleaning`` block (``max_quarantined``, ``allow_constant``).
"""

from __future__ import annotations

from pathlib import Path

from .clean import REASONS, CleanResult
from .errors import TrygghetError
from .mapping import SurveyMapping
from .questionnaire import Questionnaire, resolve
from .schema import Question

# What to do about the commonest cause of a quarantine, by reason.
_FIX = {
    "tom_rad": "ta bort de tomma raderna i exporten eller exportera igen utan dem",
    "fel_antal_falt": "fel skiljetecken eller trasiga rader: ange source.delimiter i "
                      "mappningen eller exportera igen",
    "ogiltigt_tecken": "exportera filen igen (den verkar skadad)",
    "ogiltig_alder": "kontrollera att ålderskolumnen är mappad som age, birth_year eller "
                     "age_group efter vad den innehåller",
    "okant_omrade": "lägg till områdesnamnen (eller koderna) som aliases under areas, eller "
                    "under codes.area",
    "okant_svarsalternativ": "lägg till svaren under labels (texter) eller codes (koder) i "
                             "mappningen, eller ange en kodbok (codebook:)",
    "for_manga_val": "kontrollera separator för flervalsfrågan (Google Formulär: ', ', "
                     "Microsoft Forms: ';')",
    "ogiltigt_datum": "mappa rätt kolumn som submitted, eller ta bort submitted",
    "saknar_bakgrund": "kontrollera att bakgrundskolumnerna är rätt mappade, eller ta bort "
                       "dem ur required om de får saknas",
    "inga_svar": "kontrollera att frågornas rubriker i mappningen är exportens (trygghet "
                 "clean listar omappade kolumner) och att kryssfrågor har rätt checked-värden",
}


def check_kept(result: CleanResult, mapping: SurveyMapping, *, max_quarantined: float = 0.20,
               allow_constant: list[str] | tuple[str, ...] = (),
               file: str | Path | None = None,
               questionnaire: Questionnaire | None = None) -> None:
    """Stop a run that kept too little, before anything is written.

    ``questionnaire`` gives the indicators checked (default: the bundled one).

    Two signs that the export was read wrongly rather than answered so:

    * more than ``max_quarantined`` of the rows quarantined (the message names the
      commonest reason, an example row and the fix for that reason);
    * a share indicator at exactly 0 % or 100 % of more than 100 respondents
      (say *utsatt* at 100 % because blank check-boxes were read as missing
      answers, so only the ticked ones count). Only indicators a blank can bias
      are looked at: those of Ja/Nej items, alone or in a battery (check-box
      lists are read as a whole, see :func:`_read_multi`). ``allow_constant``
      lists the indicators for which such a figure is real.

    Raises
    ------
    TrygghetError
        With the cause and the fix, in Swedish; the caller has written nothing.
    """
    from .indicators import respondent_values

    log, q = result.log, result.quarantine
    rows_in, kept = log["rows_in"], log["rows_clean"]
    share = log["rows_quarantined"] / rows_in if rows_in else 0.0
    where = file or result.log.get("source_file")
    if share > max_quarantined:
        rows = q[q["level"] == "rad"]
        top = rows["reason"].value_counts().index[0]
        example = rows[rows["reason"] == top].iloc[0]
        shown_value = f", värdet '{example['value']}'" if str(example["value"]).strip() else ""
        raise TrygghetError(
            f"{log['rows_quarantined']} av {rows_in} rader ({share:.0%}) hamnade i karantän, "
            f"mer än gränsen {max_quarantined:.0%}; vanligast: {REASONS[top]} "
            f"({int((rows['reason'] == top).sum())} rader, t.ex. rad {example['source_row']}"
            + (f", kolumn '{example['column']}'" if example["column"] else "") + shown_value
            + "). Inget skrevs: förra körningens filer är orörda",
            file=where, row=int(example["source_row"]), column=example["column"] or None,
            hint=f"{_FIX[top]}; är det avsiktligt, höj cleaning.max_quarantined i "
                 "config/trygghet.yml")
    if not kept:
        return
    values = respondent_values(result.responses, questionnaire=questionnaire)
    for name, indicator in resolve(questionnaire).indicators.items():
        if indicator.kind != "share" or name in allow_constant:
            continue
        col = values[name].dropna()
        if len(col) <= 100 or col.min() != col.max():
            continue
        if not any(_yes_no(mapping.questions[q], mapping) for q in indicator.questions
                   if q in mapping.questions):
            # A check-box list is read as a whole (who ticked nothing is missing, who
            # ticked something has No elsewhere), so its options cannot be 100 % by a
            # misread blank, and a scale all on one step is an odd sample, not a blank.
            continue
        level = "100 %" if col.iloc[0] == 1 else "0 %"
        cause, fix = _constant_cause(indicator.questions, mapping, col.iloc[0] == 1)
        raise TrygghetError(
            f"indikatorn {name} blir exakt {level} av {len(col)} svarande – troligen för att "
            f"{cause}. Inget skrevs: förra körningens filer är orörda", file=where,
            column=name,
            hint=f"{fix}; stämmer siffran, lägg {name} i cleaning.allow_constant i "
                 "config/trygghet.yml")


def _yes_no(question: Question, mapping: SurveyMapping) -> bool:
    """Whether ``question`` is a mapped Ja/Nej item (alone or in a battery): the kind whose
    figure a blank can decide (a blank box read as missing leaves only the Ja)."""
    scale = question.scale
    mapped = question.name in mapping.columns or any(
        question.name in b.questions for b in mapping.batteries.values())
    return question.kind == "single" and scale is not None and len(scale.levels) == 2 \
        and mapped


def _constant_cause(questions: tuple[str, ...], mapping: SurveyMapping,
                    all_yes: bool) -> tuple[str, str]:
    """(cause, fix) of an indicator that came out at exactly 0 % or 100 %."""
    in_battery = [q for q in questions
                  if any(q in b.questions for b in mapping.batteries.values())]
    if in_battery and all_yes:
        return ("tomma kryssrutor lästes som saknade svar och bara kryssen räknas",
                "ange blank: nej för batteriet om en tom rad betyder Nej i alla frågor")
    if all_yes:
        return ("tomma svar lästes som saknade, så bara Ja räknas (kryssrutor i en kolumn per "
                "fråga?)", "mappa ja/nej-kolumnerna som ett batteri (batteries: … columns:) så "
                "att den som kryssat något annat får Nej, eller ange vad en tom ruta betyder")
    return ("inget Ja kändes igen", "kontrollera checked (värdet för ikryssad, t.ex. X eller "
            "1), codes och labels för ja/nej-frågorna i mappningen")
