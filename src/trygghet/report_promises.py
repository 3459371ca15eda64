"""The promise follow-up (*löftesuppföljning*): what the steering group reads.

``notebooks/loftesuppfoljning.ipynb`` presents the follow-up that ``trygghet
promises`` computed (``data/processed/<year>/promises.csv``: a status and a
reason per inriktning, judged by :mod:`trygghet.promises`). This module loads
it and writes the report's paragraphs and tables: the summary counting the
statuses, what a medborgarlöfte is, each inriktning in detail, the year's
trygghetsronder and where the figures come from. Every word is in
:mod:`trygghet.vocabulary`; the reasons themselves are the follow-up's own
(Swedish) sentences.
"""

from __future__ import annotations

import pandas as pd

from . import fmt, promise_files
from .config import Project, load_settings
from .errors import TrygghetError
from .theme import STATUSES
from .vocabulary import translator
from .writers import restore


def load_follow_up(year: int, *, project: Project | None = None,
                   missing_ok: bool = False) -> pd.DataFrame | None:
    """The follow-up table of ``year`` (``data/processed/<year>/promises.csv``).

    With ``missing_ok``, a year without a follow-up gives None instead of an error.
    """
    project = project or Project.find()
    path = project.processed(year) / "promises.csv"
    if not path.exists():
        if missing_ok:
            return None
        raise TrygghetError("uppföljningen saknas", file=path,
                            hint=f"kör trygghet promises --year {year}")
    frame = pd.read_csv(path, dtype={"inriktning": int})
    # Our CSVs guard text against formula injection; the report shows it as written.
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].map(restore, na_action="ignore")
    return frame


def load_promise(year: int, *, project: Project | None = None):
    """The promise of ``year`` (``data/reference/medborgarlofte_<year>.yml``)."""
    project = project or Project.find()
    return promise_files.load_promise(promise_files.promise_file(project.reference, year),
                                      project.questionnaire)


def is_synthetic(project: Project | None = None) -> bool:
    """Whether the project's data are the synthetic sample (``synthetic_data``)."""
    return bool(load_settings(project or Project.find())["synthetic_data"])


def cover(promise, language: str = "sv", *, municipality: str | None = None,
          synthetic: bool | None = None, project: Project | None = None) -> dict:
    """The report's title page, as the arguments of :func:`trygghet.render.document_info`.

    ``municipality`` replaces the promise file's name on the cover; ``synthetic``
    defaults to the project's ``synthetic_data``.
    """
    t = translator(language)
    name = municipality or promise.municipality
    return {"title": t("follow_up.title", year=promise.year),
            "subtitle": t("follow_up.subtitle", municipality=name,
                          police_area=promise.police_area),
            "description": t("follow_up.description",
                             date=fmt.date(promise.follow_up_by, language=language)),
            "organisation": [name, promise.police_area],
            "synthetic": is_synthetic(project) if synthetic is None else synthetic,
            "language": language}


def _firsts(follow_up: pd.DataFrame) -> pd.DataFrame:
    """One row per inriktning (the follow-up has one per indicator), in order."""
    return follow_up.drop_duplicates("inriktning").sort_values("inriktning")


def status_table(follow_up: pd.DataFrame, language: str = "sv") -> pd.DataFrame:
    """One row per inriktning: number, text, status and the reason sentence."""
    t, first = translator(language), _firsts(follow_up)
    return pd.DataFrame({
        t("column.number"): first["inriktning"].astype(str).to_numpy(),
        t("column.commitment"): first["text"].to_numpy(),
        t("column.status"): first["status"].to_numpy(),
        t("column.reason"): first["reason"].to_numpy(),
    })


def status_chart_frame(follow_up: pd.DataFrame) -> pd.DataFrame:
    """``inriktning`` (numbered text) and ``status`` per inriktning, for the status chart."""
    first = _firsts(follow_up)
    return pd.DataFrame({"inriktning": [f"{n}. {t}" for n, t in
                                        zip(first["inriktning"], first["text"], strict=True)],
                         "status": first["status"].to_numpy()})


def follow_up_summary(follow_up: pd.DataFrame, promise, language: str = "sv") -> str:
    """One paragraph counting the statuses (computed, not written by hand)."""
    t, first = translator(language), _firsts(follow_up)
    counts = first["status"].value_counts()
    parts = [f"{fmt.number(counts[s], language=language)} {t.label('status', s).lower()}"
             for s in STATUSES if s in counts]
    text = t("follow_up.counts", year=promise.year, total=len(first),
             date=fmt.date(promise.follow_up_by, language=language),
             parts=fmt.join(parts, language=language))
    if "Underlag saknas" in counts:
        text += t("follow_up.no_data", status=t.label("status", "Underlag saknas"))
    return text


def promise_intro(promise, language: str = "sv") -> str:
    """What a medborgarlöfte is, who made this one and who follows it up."""
    return translator(language)(
        "follow_up.intro", municipality=promise.municipality, police_area=promise.police_area,
        year=promise.year, group=fmt.join(list(promise.steering_group), language=language),
        date=fmt.date(promise.follow_up_by, language=language))


def inriktning_details(follow_up: pd.DataFrame, language: str = "sv") -> list[str]:
    """A markdown block per inriktning: text, the four fields, status (and, when it
    has several indicators, each indicator's sentence)."""
    t = translator(language)
    fields = ("scope", "responsible", "follow_up", "evaluation")
    blocks = []
    for number, rows in follow_up.groupby("inriktning", sort=True):
        r = rows.iloc[0]
        symbol = STATUSES.get(r["status"], {}).get("symbol", "")
        status = t("follow_up.status_line",
                   status=f"{symbol} {t.label('status', r['status'])}")
        lines = "\n".join(f"- {t(f'follow_up.{c}')}: {r[c]}" for c in fields)
        block = f"### {number}. {r['text']}\n\n{lines}\n\n{status}"
        if len(rows) > 1:  # the table gives the combined reason; here each indicator's
            block += "\n\n" + "\n".join(f"- {s}" for s in rows["indicator_reason"])
        blocks.append(block)
    return blocks


def rounds_table(year: int, language: str = "sv", *,
                 project: Project | None = None) -> pd.DataFrame | None:
    """The year's trygghetsronder: area, date, participants and actions taken.

    Counts only (how many took part, how many children and youth); the
    register's free-text observations are summarised as numbers of actions.
    """
    project = project or Project.find()
    path = project.reference / "trygghetsronder.csv"
    if not path.exists():
        return None
    r = promise_files.read_rounds(path)
    r = r[pd.to_datetime(r["date"]).dt.year == year]
    if r.empty:
        return None
    t = translator(language)
    rounds = r.groupby(["area", "date"], sort=True).agg(
        held=("held", "first"), participants=("participants", "first"),
        children=("children_youth", "first"),
        actions=("action", lambda s: int(s.notna().sum())),
        done=("action_status", lambda s: int((s == "klar").sum())))
    return pd.DataFrame({
        t("group_var.area"): [a for a, _ in rounds.index],
        t("column.date"): [fmt.date(d, "iso") for _, d in rounds.index],
        t("column.held"): [t("column.yes" if h else "column.no") for h in rounds["held"]],
        t("column.participants"): [fmt.number(v, language=language)
                                   for v in rounds["participants"]],
        t("column.children"): [fmt.number(v, language=language) for v in rounds["children"]],
        t("column.actions"): [f"{a} ({d})" for a, d in zip(rounds["actions"], rounds["done"],
                                                           strict=True)],
    })


def sources_text(follow_up: pd.DataFrame, language: str = "sv") -> str:
    """Where each indicator's figures come from, and when they were extracted."""
    t = translator(language)
    lines = []
    for _, r in follow_up.iterrows():
        src = r.get("source")
        if isinstance(src, str) and src:
            when = r.get("extracted")
            when = f" ({t('follow_up.extracted', date=when)})" if isinstance(when, str) else ""
            lines.append(f"- {r['label']}: {src}{when}")
    return t("follow_up.rules") + ("\n\n" + "\n".join(dict.fromkeys(lines)) if lines else "")
