"""The `trygghet` command as a user meets it: messages, exit codes, files."""

import json
import subprocess
import sys

import pandas as pd
import yaml
from helpers import mini_mapping, row, write_export

from trygghet.cli import main


def test_clean_writes_outputs_and_reconciles(project, capsys):
    write_export(project / "export.csv", [row(respondent_id="1"), row(respondent_id="1"),
                                          row(respondent_id="2", age="7")])
    assert main(["--root", str(project), "clean", "--year", "2020"]) == 0
    out = project / "data" / "processed" / "2020"
    log = json.loads((out / "cleaning_log.json").read_text(encoding="utf-8"))
    assert (log["rows_in"], log["rows_clean"], log["rows_quarantined"],
            log["duplicates_removed"]) == (3, 1, 1, 1)
    assert log["reasons"] == {"ogiltig_alder": 1}
    assert len(pd.read_parquet(out / "responses.parquet")) == 1
    assert pd.read_csv(out / "quarantine.csv")["source_row"].tolist() == [4]
    assert pd.read_csv(out / "duplicates.csv")["source_row"].tolist() == [3]
    printed = capsys.readouterr().out
    assert "3 rader in = 1 rensade + 1 i karantän + 1 dubbletter" in printed.replace("\xa0", " ")


def test_input_and_mapping_overrides(project, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere")
    write_export(other / "real.csv", [row(respondent_id="9")])
    (other / "map.yml").write_text(yaml.safe_dump(mini_mapping(source="nowhere.csv"),
                                                  allow_unicode=True), encoding="utf-8")
    code = main(["--root", str(project), "clean", "--year", "2020", "--input",
                 str(other / "real.csv"), "--mapping", str(other / "map.yml")])
    assert code == 0
    log = json.loads((project / "data/processed/2020/cleaning_log.json").read_text())
    assert log["source_file"].endswith("real.csv")


def run_cli(project, *args):
    return subprocess.run([sys.executable, "-m", "trygghet.cli", "--root", str(project), *args],
                          capture_output=True, text=True)


def test_missing_file_is_one_message(project):
    # A real process: exit status and stderr as the shell sees them. The other refusals
    # (empty file, missing column, no mapping for the year …) are cases of the bad-input
    # corpus (test_corpus.py).
    res = run_cli(project, "clean", "--year", "2020")
    assert res.returncode == 2
    assert "export.csv" in res.stderr and "finns inte" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_raw_file_is_not_modified(project):
    path = write_export(project / "export.csv", [row(respondent_id="1")])
    before = path.read_bytes()
    assert main(["--root", str(project), "clean", "--year", "2020"]) == 0
    assert path.read_bytes() == before
