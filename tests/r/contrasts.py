"""Regenerate R's reference for the difference between two groups (tests/r/contrasts/).

    .venv/bin/python tests/r/contrasts.py

Cleans a copy of the bundled sample, writes the inputs of ``tests/r/contrasts.R`` for
2020 and 2021 (the cases are ``CASES`` of ``tests/test_contrast.py``), runs R and copies
its ``contrasts.csv`` to ``tests/r/contrasts/contrasts_<year>.csv``. Needs ``Rscript``
with the survey package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from helpers import copy_sample  # noqa: E402
from test_contrast import YEARS, r_inputs  # noqa: E402

from trygghet import pipeline  # noqa: E402
from trygghet.config import Project, load_settings  # noqa: E402
from trygghet.population import read_population  # noqa: E402


def main() -> None:
    os.environ.setdefault("TRYGGHET_PSEUDONYM_KEY", "contrasts-fixture-" + "0" * 32)
    with tempfile.TemporaryDirectory() as tmp:
        project = Project(copy_sample(Path(tmp) / "sample"))
        settings = load_settings(project)
        folders = []
        for year in YEARS:
            pipeline.clean_year(project, year, echo=lambda _: None)
            folders.append(r_inputs(Path(tmp) / str(year),
                                    pipeline.load_responses(project, year),
                                    read_population(project, year), settings))
        subprocess.run(["Rscript", str(HERE / "contrasts.R"), *map(str, folders)], check=True)
        (HERE / "contrasts").mkdir(exist_ok=True)
        for year, folder in zip(YEARS, folders, strict=True):
            shutil.copy(folder / "contrasts.csv", HERE / "contrasts" / f"contrasts_{year}.csv")
            print(f"skrev tests/r/contrasts/contrasts_{year}.csv")


if __name__ == "__main__":
    main()
