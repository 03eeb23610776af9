"""The long-format results table: re-runs replace rows, a run keeps each row name, a retrained row's old run
is superseded, the study is part of a run's identity, and a table written before the study column is read
as if written now."""

from pathlib import Path

import pandas as pd
import pytest

from fslib import results

FS_RUN = dict(
    run_id="full-hamer-seed0-x",
    study="fingerspelling",
    corpus="synthetic",
    alphabet="ChicagoFSWild",
    variant="full",
    teacher="hamer",
    seed=0,
)
ISLR_RUN = dict(
    run_id="islr-abc",
    study="isolated_signs",
    corpus="synthetic",
    alphabet="",
    variant="per_frame",
    teacher="none",
    seed=0,
)


def test_results_table_replaces_rows_of_a_rerun_and_pivots(tmp_path):
    path = tmp_path / "tables" / "results.csv"
    run = FS_RUN
    results.record(path, run, {"test": {"letter_accuracy": 0.4}, "dev": {"letter_accuracy": 0.5}}, config={"lr": 1})
    results.record(path, {**run, "run_id": "full-hamer-seed1-y", "seed": 1}, {"test": {"letter_accuracy": 0.6}})
    table = results.record(path, run, {"test": {"letter_accuracy": 0.45}})  # the same run, re-executed
    # the re-run's test row replaces the old one; its dev row (not re-measured) stays
    assert len(table) == 3 and list(table.columns) == results.COLUMNS
    assert table[(table["run_id"] == "full-hamer-seed0-x") & (table["split"] == "dev")]["value"].tolist() == [0.5]
    assert (tmp_path / "tables" / "configs" / "full-hamer-seed0-x.json").exists()
    piv = results.pivot(results.read(path))
    assert piv.loc[("full", "hamer", 0), "letter_accuracy"] == pytest.approx(0.45)
    assert piv.loc[("full", "hamer", 1), "letter_accuracy"] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="lacks"):
        results.record(path, {"run_id": "x"}, {"test": {"a": 1}})
    with pytest.raises(ValueError, match="lacks study"):
        results.record(path, {k: v for k, v in run.items() if k != "study"}, {"test": {"a": 1}})
    with pytest.raises(ValueError, match="unknown study 'islr'"):
        results.record(path, {**run, "study": "islr"}, {"test": {"a": 1}})


def test_results_table_keeps_a_run_under_each_row_name(tmp_path):
    """An isolated-sign run shared by two tables (per_frame = BiLSTM, normalized) is recorded under both
    names; re-recording one name replaces only that name's rows."""
    path = tmp_path / "results.csv"
    run = ISLR_RUN
    results.record(path, run, {"val": {"top1": 0.5}})
    results.record(path, {**run, "variant": "BiLSTM, normalized"}, {"val": {"top1": 0.5}})
    table = results.record(path, run, {"val": {"top1": 0.55}})
    assert sorted(table["variant"]) == ["BiLSTM, normalized", "per_frame"]
    assert table.set_index("variant").loc["per_frame", "value"] == pytest.approx(0.55)
    assert table.set_index("variant").loc["BiLSTM, normalized", "value"] == pytest.approx(0.5)
    back = results.read(path)
    assert set(back["study"]) == {"isolated_signs"} and back["alphabet"].isna().all()


def test_results_table_supersedes_an_older_run_of_the_same_row_and_seed(tmp_path):
    """Retrained with other code or settings, a row's seed gets a new run id: the old run's rows go, other
    seeds, rows, corpora and studies stay."""
    path = tmp_path / "results.csv"
    run = {**FS_RUN, "run_id": "full-hamer-seed0-old"}
    results.record(path, run, {"test": {"letter_accuracy": 0.3}, "dev": {"letter_accuracy": 0.31}})
    results.record(path, {**run, "run_id": "full-hamer-seed1-x", "seed": 1}, {"test": {"letter_accuracy": 0.5}})
    results.record(path, {**run, "run_id": "full-hamer-greek", "alphabet": "Greek"}, {"test": {"letter_accuracy": 0.2}})
    results.record(
        path,
        {**run, "run_id": "kl-seed0", "variant": "ctc_both_kl", "teacher": "none"},
        {"test": {"letter_accuracy": 0.25}},
    )
    # the same row names in the other study are another row
    results.record(path, {**run, "run_id": "islr-full", "study": "isolated_signs"}, {"val": {"top1": 0.7}})
    table = results.record(path, {**run, "run_id": "full-hamer-seed0-new"}, {"test": {"letter_accuracy": 0.35}})
    assert "full-hamer-seed0-old" not in set(table["run_id"])
    assert set(table["run_id"]) == {
        "full-hamer-seed0-new",
        "full-hamer-seed1-x",
        "full-hamer-greek",
        "kl-seed0",
        "islr-full",
    }
    asl = table[table["alphabet"] == "ChicagoFSWild"]
    assert results.pivot(asl[asl["study"] == "fingerspelling"]).loc[
        ("full", "hamer", 0), "letter_accuracy"
    ] == pytest.approx(0.35)


def test_the_study_is_part_of_the_rows_a_rerun_replaces(tmp_path):
    path = tmp_path / "results.csv"
    results.record(path, FS_RUN, {"test": {"top1": 0.4}})
    table = results.record(path, {**FS_RUN, "study": "isolated_signs"}, {"test": {"top1": 0.5}})
    assert sorted(table["study"]) == ["fingerspelling", "isolated_signs"]


OLD = """run_id,corpus,alphabet,variant,teacher,seed,split,metric,value
constant-synthetic-ChicagoFSWild,synthetic,ChicagoFSWild,constant,none,0,test,letter_accuracy,0.2
full-hamer-seed0-67e9ec0a,synthetic,ChicagoFSWild,full,hamer,0,test,letter_accuracy,0.4
islr-4f1e,synthetic,islr,per_frame,none,0,val,top1,0.6
"""


def test_a_table_written_before_the_study_column_is_read_as_if_written_now(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text(OLD)
    table = results.read(path)
    assert list(table.columns) == results.COLUMNS
    assert table["study"].tolist() == ["fingerspelling", "fingerspelling", "isolated_signs"]
    assert table["alphabet"].tolist()[:2] == ["ChicagoFSWild"] * 2 and pd.isna(table["alphabet"].iloc[2])
    # a run recorded now into the old table replaces its old self and writes the study column out
    table = results.record(path, {**ISLR_RUN, "run_id": "islr-4f1e"}, {"val": {"top1": 0.65}})
    assert len(table) == 3 and table.loc[table["run_id"] == "islr-4f1e", "value"].tolist() == [0.65]
    assert pd.read_csv(path).columns.tolist() == results.COLUMNS


def test_the_committed_full_run_reads_with_both_studies():
    path = Path(__file__).resolve().parents[1] / "runs" / "full" / "tables" / "results.csv"
    if not path.exists():
        pytest.skip("no committed full run")
    table = results.read(path)
    assert set(table["study"]) == set(results.STUDIES)
    assert "islr" not in set(table["alphabet"].dropna())
    assert table.loc[table["study"] == "isolated_signs", "alphabet"].isna().all()
    assert table.loc[table["study"] == "fingerspelling", "alphabet"].notna().all()


def test_a_row_s_other_seeds_of_another_configuration_are_superseded(tmp_path):
    """A page that now trains seeds 0 and 1 with new settings must not leave seed 2 of the old settings
    to be averaged with them; seeds of the same configuration, and runs whose configuration was never
    saved, stay."""
    path = tmp_path / "results.csv"
    old = {"epochs": 10, "input_size": 32, "speed": (0.8, 1.25)}
    new = {"epochs": 10, "input_size": 64, "speed": (0.8, 1.25)}
    for seed in (0, 1, 2):
        results.record(
            path,
            {**FS_RUN, "run_id": f"old-{seed}", "seed": seed},
            {"test": {"letter_accuracy": 0.2}},
            config={**old, "seed": seed},
        )
    results.record(path, {**FS_RUN, "run_id": "unsaved-3", "seed": 3}, {"test": {"letter_accuracy": 0.1}})
    results.record(
        path, {**FS_RUN, "run_id": "other-row", "variant": "ctc_gru"}, {"test": {"letter_accuracy": 0.2}}, config=old
    )
    table = results.record(
        path, {**FS_RUN, "run_id": "new-0", "seed": 0}, {"test": {"letter_accuracy": 0.4}}, config={**new, "seed": 0}
    )
    assert set(table["run_id"]) == {"new-0", "unsaved-3", "other-row"}
    table = results.record(
        path, {**FS_RUN, "run_id": "new-1", "seed": 1}, {"test": {"letter_accuracy": 0.4}}, config={**new, "seed": 1}
    )
    assert set(table["run_id"]) == {"new-0", "new-1", "unsaved-3", "other-row"}


def test_superseding_a_row_s_seeds_keeps_the_same_runs_under_other_row_names(tmp_path):
    """An isolated-sign run stands in two tables under two names; when one table's row moves to a new
    configuration, the old runs leave that row only: the other table's row keeps them until it is rerun."""
    path = tmp_path / "results.csv"
    islr = {**FS_RUN, "study": "isolated_signs", "alphabet": "", "teacher": "none"}
    old = {"epochs": 10, "hidden": 64}
    for seed in (0, 1):
        for name in ("per_frame", "BiLSTM, normalized"):
            results.record(
                path,
                {**islr, "run_id": f"old-{seed}", "variant": name, "seed": seed},
                {"val": {"top1": 0.3}},
                config={**old, "seed": seed},
            )
    table = results.record(
        path,
        {**islr, "run_id": "new-0", "variant": "BiLSTM, normalized", "seed": 0},
        {"val": {"top1": 0.5}},
        config={**old, "hidden": 128, "seed": 0},
    )
    rows = table.groupby("variant")["run_id"].apply(set).to_dict()
    assert rows == {"BiLSTM, normalized": {"new-0"}, "per_frame": {"old-0", "old-1"}}
