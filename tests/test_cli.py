"""The `trygghet` command as a user meets it: messages, exit codes, files."""

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from helpers import mini_mapping, row, run_main, write_export

from trygghet.cli import main


def test_clean_writes_outputs_and_reconciles(project, capsys):
    # One row of three quarantined is more than the default stop (20 %): allowed here.
    (project / "config" / "trygghet.yml").write_text("cleaning: {max_quarantined: 0.5}\n",
                                                     encoding="utf-8")
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


# --- Hardening (issue 11) -------------------------------------------------------------------

def one_message(res) -> list[str]:
    """The lines of a refusal: exit 2, nothing on stdout, "fel: …" and its "Åtgärd"."""
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr + res.stdout and res.stdout == ""
    lines = res.stderr.rstrip("\n").split("\n")
    assert len(lines) == 2 and lines[0].startswith("fel: ") and lines[1].startswith("  Åtgärd: ")
    return lines


@pytest.mark.parametrize(("args", "says"), [
    (["report", "--year", "2020", "--jobs", "0"], "argumentet --jobs: ska vara ett heltal ≥ 1, "
                                                  "inte '0'"),
    (["report", "--year", "2020", "--jobs", "-2"], "ska vara ett heltal ≥ 1, inte '-2'"),
    (["report", "--year", "2020", "--jobs", "två"], "ska vara ett heltal ≥ 1, inte 'två'"),
    (["clean"], "följande argument krävs: --year"),
    (["clean", "--year", "20x0"], "argumentet --year: ogiltigt år: '20x0'"),
    (["report", "--year", "2020", "--format", "docx"], "ogiltigt val 'docx' (välj bland "),
    (["report", "--year", "2020", "--area", "Norr", "--all-areas"], "kan inte kombineras med"),
    (["städa"], "argumentet KOMMANDO: ogiltigt val 'städa'"),
    (["clean", "--year", "2020", "--snabbt"], "okända argument: --snabbt"),
    (["init"], "följande argument krävs: MAPP, --municipality"),
    (["init", "ny"], "följande argument krävs: --municipality"),
])
def test_bad_arguments_are_one_swedish_message(project, args, says):
    lines = one_message(run_cli(project, *args))
    assert says in lines[0]
    assert "--help" in lines[1]


def test_sent_below_the_respondents_is_refused_when_estimating(project):
    (project / "config" / "surveys" / "2020.yml").write_text(yaml.safe_dump(mini_mapping(
        design={"sampling": "probability", "sent": 2}), allow_unicode=True), encoding="utf-8")
    write_export(project / "export.csv", [row(respondent_id=str(i), submitted=f"2020-10-0{i} 12:00")
                                          for i in (1, 2, 3)])
    assert run_cli(project, "clean", "--year", "2020").returncode == 0
    lines = one_message(run_cli(project, "estimate", "--year", "2020"))
    assert "2020.yml, kolumn 'design.sent'" in lines[0]
    assert "design.sent är 2 utskick men 3 svar kunde användas" in lines[0]
    assert not (project / "data" / "processed" / "2020" / "estimates.parquet").exists()


@pytest.mark.parametrize(("content", "says"), [
    (b"", "befolkningsfilen är tom"),
    (b"dimension,level,population\n", "befolkningsfilen har rubriker men inga rader"),
    (b"\xef\xbb\xbfdimension;level;population\r\n", "befolkningsfilen har rubriker men inga rader"),
    (None, "är en mapp, inte en fil"),
])
def test_an_empty_population_file_is_one_message(project, content, says):
    write_export(project / "export.csv", [row(respondent_id="1")])
    assert run_cli(project, "clean", "--year", "2020").returncode == 0
    path = project / "data" / "reference" / "population_2020.csv"
    path.parent.mkdir(parents=True)
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    lines = one_message(run_cli(project, "estimate", "--year", "2020"))
    assert str(path) in lines[0] and says in lines[0]


def test_an_export_that_is_a_device_is_refused(project):
    lines = one_message(run_cli(project, "clean", "--year", "2020", "--input", "/dev/zero"))
    assert lines[0] == "fel: /dev/zero: är en enhetsfil, inte en vanlig fil"


def test_no_workspace_is_one_message_naming_init(tmp_path):
    """--root at a folder that is no workspace: the fix is init."""
    lines = one_message(run_main("--root", str(tmp_path), "estimate", "--year", "2020"))
    assert lines[0] == f"fel: {tmp_path}: är ingen arbetsyta (config/trygghet.yml saknas)"
    assert "trygghet init MAPP --municipality KOMMUN" in lines[1] and "--root" in lines[1]
