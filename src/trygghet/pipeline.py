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
from .mapping import load_mapping
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
                            file=mapping_path, column="year")
    source = Path(input_path).resolve() if input_path else mapping.source_path(project.root)
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


def number(n: int) -> str:
    # TODO(lead): switch to fmt.number once fmt.py lands
    return f"{n:,}".replace(",", "\u00a0")


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
