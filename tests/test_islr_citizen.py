"""ASL Citizen split reader on a fixture with awkward glosses, and the 100-gloss subset rule."""

import pandas as pd
import pytest

from fslib.islr import citizen, source


def write(root, split, rows):
    (root / "splits").mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["Participant ID", "Video file", "Gloss", "ASL-LEX Code"]).to_csv(
        root / "splits" / f"{split}.csv", index=False
    )


def test_reader_keeps_glosses_with_slashes_and_commas(tmp_path):
    write(
        tmp_path,
        "train",
        [
            ["P1", "1-NEAR.mp4", "NEAR", "A_01"],
            ["P2", "2-X.mp4", "HE/SHE", "A_02"],
            ["P3", "3-Y.mp4", "THANK YOU, FRIEND", "A_03"],
        ],
    )
    raw = (tmp_path / "splits" / "train.csv").read_text()
    assert '"THANK YOU, FRIEND"' in raw  # the fixture really has a quoted comma
    df = citizen.read_split(tmp_path, "train")
    assert list(df["gloss"]) == ["NEAR", "HE/SHE", "THANK YOU, FRIEND"]
    assert df["path"].iloc[0].endswith("videos/1-NEAR.mp4") and list(df["participant"]) == ["P1", "P2", "P3"]


def test_subset_rule_frequency_ties_and_variants():
    rows = ["NEAR"] * 5 + ["NEAR2"] * 5 + ["APPLE"] * 3 + ["BOOK"] * 3 + ["CAT"] * 2 + ["7"] * 2 + ["DOG"] * 1
    train = pd.DataFrame({"gloss": rows})
    # NEAR2 ties NEAR (5) but sorts after it and is its variant; APPLE/BOOK tie and go alphabetically
    assert citizen.subset_glosses(train, 4) == ["NEAR", "APPLE", "BOOK", "7"]
    assert source.gloss_base("NEAR2") == "NEAR" and source.gloss_base("7") == "7"


def test_reader_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="val.csv not found"):
        citizen.read_split(tmp_path, "val")
    (tmp_path / "splits").mkdir()
    (tmp_path / "splits" / "val.csv").write_text("Participant ID,Video,Gloss\nP1,a.mp4,NEAR\n")
    with pytest.raises(ValueError, match="val.csv: columns"):
        citizen.read_split(tmp_path, "val")
    write(tmp_path, "test", [["P1", "", "NEAR", "A"]])
    with pytest.raises(ValueError, match="without a gloss or video file, first at data row 1"):
        citizen.read_split(tmp_path, "test")
    with pytest.raises(ValueError, match="choose one of"):
        citizen.read_split(tmp_path, "dev")
