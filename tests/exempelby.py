"""The Exempelby test workspace: a second municipality with its own questionnaire.

``tests/fixtures/exempelby/`` is a workspace of its own (settings, questionnaire,
one mapping, a population file) whose questionnaire differs from the default in
every way issue 13 lists. Its raw export is written by :func:`write_export`, a
seeded generator, the way Google Forms writes a "CSV UTF-8" file opened in
Swedish Excel: semicolons, a byte-order mark, check-box answers joined with
", " in one cell, a follow-up question left blank for those it was not put to.
The committed export is this function's output (a test checks it); regenerate
it with ``python tests/exempelby.py``.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).with_name("fixtures") / "exempelby"
EXPORT = Path("data/raw/2024/exempelby_2024.csv")
SEED = 2024
AREAS = {"Östra Bruket": 3100, "Västra Hamnen": 2600, "Kyrkbyn": 1900, "Sjöängen": 2400,
         "Norrby": 2000}
AGES = {"16–24": (16, 24, 0.14), "25–44": (25, 44, 0.33), "45–64": (45, 64, 0.31),
        "65–79": (65, 79, 0.17), "80+": (80, 92, 0.05)}
PROBLEMS = {  # header → chance of a big problem (mycket + ganska stort)
    "4a. Mopedåkning/buskörning": 0.54,
    "4b. Skjutningar/sprängningar": 0.22,
    "4c. Nedskräpning": 0.35,
    "4d. Skadegörelse/klotter": 0.30,
    "4e. Öppen narkotikahandel": 0.18,
    "4f. Inbrott i bostäder": 0.15,
}
VICTIM = {"5a. Stöld": 0.12, "5b. Inbrott": 0.05, "5c. Hot": 0.07, "5d. Våld": 0.03}
PRIORITIES = ["Mopedåkning och buskörning", "Belysning och röjning",
              "Fler vuxna ute på kvällarna", "Narkotika", "Trafiksäkerhet vid skolorna", "Annat"]
TRUST = ["Mycket högt", "Ganska högt", "Ganska lågt", "Mycket lågt", "Vet ej"]


def _pick(rng: np.random.Generator, levels: list[str], p: list[float]) -> str:
    return levels[int(rng.choice(len(levels), p=np.asarray(p) / sum(p)))]


def export_rows(seed: int = SEED, n: int = 640) -> list[dict[str, str]]:
    """``n`` synthetic answers to Exempelby's 2024 questionnaire (deterministic in ``seed``)."""
    rng = np.random.default_rng(seed)
    names = list(AREAS)
    weights = np.array(list(AREAS.values()), dtype=float)
    rows = []
    for i in range(n):
        area = names[int(rng.choice(len(names), p=weights / weights.sum()))]
        group = _pick(rng, list(AGES), [a[2] for a in AGES.values()])
        low, high, _ = AGES[group]
        woman = rng.random() < 0.52
        lift = 0.10 if area in ("Östra Bruket", "Norrby") else 0.0  # the mopeds' areas
        unsafe = 0.16 + (0.10 if woman else 0.0) + lift
        row = {
            "Respondent": f"EX{i + 1:04d}",
            "Tidstämpel": f"2024-10-{1 + i % 28:02d} {8 + i % 12:02d}:{i % 60:02d}:00",
            "Kön": "Kvinna" if woman else "Man",
            "Ålder": str(int(rng.integers(low, high + 1))),
            "Område": area,
            "1. Hur trygg känner du dig när du går ensam i ditt område en sen kväll?": _pick(
                rng, ["Mycket trygg", "Ganska trygg", "Ganska otrygg", "Mycket otrygg",
                      "Går inte ut ensam p.g.a. otrygghet", "Går inte ut av andra skäl",
                      "Vet ej"],
                [0.40 - unsafe / 2, 0.45 - unsafe / 2, unsafe * 0.7, unsafe * 0.2,
                 unsafe * 0.1, 0.04, 0.02]),
            "2. Hur ofta oroar du dig för brott?": _pick(
                rng, ["Mycket ofta", "Ganska ofta", "Ganska sällan", "Aldrig"],
                [0.06, 0.18, 0.50, 0.26]),
            "3. Hur nöjd är du med gatubelysningen i ditt område?": _pick(
                rng, ["Mycket nöjd", "Ganska nöjd", "Ganska missnöjd", "Mycket missnöjd",
                      "Vet ej"], [0.20, 0.38, 0.25, 0.12, 0.05]),
        }
        for header, big in PROBLEMS.items():
            big = min(big + lift, 0.95) if "Moped" in header else big
            row[header] = _pick(rng, ["Mycket stort problem", "Ganska stort problem",
                                      "Ganska litet problem", "Inget problem alls", "Vet ej"],
                                [big * 0.45, big * 0.55, (1 - big) * 0.55, (1 - big) * 0.4,
                                 (1 - big) * 0.05])
        victim = False
        for header, p in VICTIM.items():
            yes = rng.random() < p
            victim |= yes
            row[header] = "Ja" if yes else "Nej"
        # The follow-up is put only to those who were victims; the others leave it blank.
        row["6. Anmälde du brottet till polisen?"] = (
            _pick(rng, ["Ja", "Nej"], [0.45, 0.55]) if victim else "")
        k = int(rng.integers(1, 3))
        chosen = rng.choice(len(PRIORITIES), size=k, replace=False,
                            p=np.array([0.34, 0.20, 0.18, 0.14, 0.10, 0.04]))
        row["7. Vad ska kommunen och polisen satsa på?"] = ", ".join(
            PRIORITIES[j] for j in sorted(chosen))
        row["8. Förtroende för polisen"] = _pick(rng, TRUST, [0.15, 0.45, 0.22, 0.08, 0.10])
        row["9. Förtroende för kommunens trygghetsarbete"] = _pick(
            rng, TRUST, [0.10, 0.38, 0.30, 0.12, 0.10])
        row["10. Vill du säga något mer?"] = (
            "Mopederna kör på gångvägen vid skolan varje kväll" if i % 97 == 0 else "")
        rows.append(row)
    return rows


def export_bytes(seed: int = SEED) -> bytes:
    """The export as Swedish Excel saves "CSV UTF-8": BOM, semicolons, CRLF."""
    rows = export_rows(seed)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def write_export(root: Path, seed: int = SEED) -> Path:
    """Write the raw export into the workspace at ``root``."""
    path = root / EXPORT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(export_bytes(seed))
    return path


def workspace(target: Path, notebooks: Path | None = None) -> Path:
    """A fresh copy of the Exempelby workspace at ``target`` (with the report notebooks)."""
    shutil.copytree(FIXTURE, target)
    notebooks = notebooks or Path(__file__).parents[1] / "notebooks"
    shutil.copytree(notebooks, target / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return target


if __name__ == "__main__":
    print(write_export(FIXTURE))
