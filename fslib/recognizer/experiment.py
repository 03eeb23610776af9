"""The recognizer's pipeline from one set of parameters, shared by notebooks 04-07 and ``fslib train``:
corpus (synthetic or real) -> crops -> the teacher's vectors -> training (one run per seed) -> evaluation
-> rows of the profile's results table (:mod:`fslib.results`); :func:`train_rows` trains the rows of the
study tables (pages 05 and 06).

The parameter names are the notebook's (:data:`PARAMS`); ``fslib train --profile P --set k=v`` resolves
them exactly as ``fslib study`` does for the notebook, so the CLI and the page train the same model.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from .. import alphabet as alph
from .. import results as results_table
from .config import LOSS_VARIANTS, RecognizerConfig, make_config
from .evaluate import predict, split_metrics
from .metrics import constant_baseline

NOTEBOOK = "04_recognizer"

DATA_PARAMS = ("seed", "corpus_path", "alphabet", "corpus_signers", "corpus_sequences", "image_size", "corpus_fps",
               "max_word_len", "crop_size", "margin", "min_detection", "workers")
TEACHER_PARAMS = ("hamer_checkpoint", "teacher_size", "teacher_input_size", "pretrain_samples", "pretrain_val_samples",
                  "pretrain_signers", "pretrain_epochs")
RECOGNIZER_PARAMS = tuple(f.name for f in dataclasses.fields(RecognizerConfig) if f.name != "seed")
RUN_PARAMS = ("train_seeds", "beam", "out_dir", "profile")
PARAMS = DATA_PARAMS + TEACHER_PARAMS + RECOGNIZER_PARAMS + RUN_PARAMS


@dataclasses.dataclass
class Experiment:
    """Everything one recognizer page needs, built lazily from the page's parameters."""

    params: dict[str, Any]
    progress: bool = True
    _cache: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_params(cls, namespace: Mapping[str, Any], progress: bool = True, **overrides: Any) -> "Experiment":
        """Pick the known parameter names out of ``namespace`` (a notebook's globals, or a dict). A recognizer
        setting missing there takes the default of notebook 04's parameters cell: the table pages 05-07
        declare only what they change and get the rest from 04 (``inherit`` in ``fslib/study.yml``; the runner
        injects them, this fills them in when such a page runs by hand)."""
        from ..study.plan import load_plan

        params = {k: namespace[k] for k in PARAMS if k in namespace}
        missing = [k for k in PARAMS if k not in params and k not in RUN_PARAMS]
        if missing:
            defaults = load_plan().parameters(NOTEBOOK)
            params.update({k: defaults[k].default for k in missing if k in defaults})
        params.update(overrides)
        return cls(params, progress)

    # ------------------------------------------------------------------------------------------- data
    @property
    def synthetic(self) -> bool:
        return not self.params.get("corpus_path")

    @property
    def alphabet(self) -> alph.Alphabet:
        return alph.get(self.params.get("alphabet", "fswild"))

    def corpus_config(self):
        from ..synth import corpus as synth

        p = self.params
        return synth.make_config(alphabet=p.get("alphabet", "fswild"), signers=p["corpus_signers"],
                                 sequences=p["corpus_sequences"], image_size=p["image_size"], seed=p.get("seed", 0),
                                 fps=p.get("corpus_fps", 30), max_word_len=p.get("max_word_len", 10))

    @property
    def corpus(self):
        if "corpus" not in self._cache:
            from ..data import read_corpus
            from ..synth import corpus as synth

            root = synth.generate(self.corpus_config(), progress=self.progress) if self.synthetic \
                else self.params["corpus_path"]
            self._cache["corpus"] = read_corpus(root, alphabet=self.params.get("alphabet", "fswild"))
        return self._cache["corpus"]

    @property
    def store(self):
        if "store" not in self._cache:
            from ..config import build_config
            from ..preprocess import PreprocessConfig, crops_for

            p = self.params
            cfg = build_config(PreprocessConfig, dict(crop_size=p["crop_size"], margin=p.get("margin", 0.25),
                                                      min_detection=p.get("min_detection", 0.3),
                                                      min_tracking=p.get("min_detection", 0.3)))
            self._cache["store"] = crops_for(self.corpus, cfg, workers=p.get("workers") or None,
                                             progress=self.progress)
        return self._cache["store"]

    def describe_corpus(self) -> str:
        from .. import report

        p = self.params
        line = report.describe_corpus(p.get("corpus_path", ""), alphabet=p.get("alphabet", "fswild"),
                                      signers=p["corpus_signers"], sequences=p["corpus_sequences"],
                                      image_size=p["image_size"], seed=p.get("seed", 0))
        if self.synthetic:
            line += f", {p.get('corpus_fps', 30)} frames/s, words of at most {p.get('max_word_len', 10)} letters"
        return line

    # ---------------------------------------------------------------------------------------- teacher
    def teacher_config(self):
        from ..teachers.synthetic import make_config as teacher_make_config

        p = self.params
        return teacher_make_config(size=p["teacher_size"], crop_size=p.get("teacher_input_size") or p["crop_size"],
                                   margin=p.get("margin", 0.25),
                                   samples=p["pretrain_samples"], val_samples=p["pretrain_val_samples"],
                                   signers=p["pretrain_signers"], epochs=p["pretrain_epochs"], seed=p.get("seed", 0))

    def describe_teacher(self, name: str | None = None) -> str:
        """The provenance line of teacher ``name`` (default: the configured one), from its registry entry."""
        from .. import report
        from ..teachers import spec

        name = self.params.get("teacher", "") if name is None else name
        if not name:
            return "none (no distillation)"
        p = self.params
        hamer = report.describe_teacher(p.get("hamer_checkpoint", ""), size=p["teacher_size"],
                                        samples=p["pretrain_samples"], epochs=p["pretrain_epochs"])
        return spec(name).provenance.format(hamer=hamer)

    def features(self, name: str | None = None):
        """The FeatureStore of teacher ``name`` (default: the configured one) on this page's crops."""
        from ..teachers import build_teachers, spec, teacher_features, teachers_for_corpus

        name = self.params.get("teacher", "") if name is None else name
        if not name:
            return None
        key = f"features:{name}"
        if key not in self._cache:
            if not teachers_for_corpus([name], self.synthetic):
                raise ValueError(f"teacher {name!r} needs synthetic ground truth; this corpus is real")
            teacher = build_teachers([name], checkpoint=self.params.get("hamer_checkpoint", ""),
                                     synthetic=self.teacher_config(), margin=self.params.get("margin", 0.25),
                                     progress=self.progress)[name]
            workers = spec(name).processes(self.params.get("workers"))
            self._cache[key] = teacher_features(self.store, teacher, workers=workers, progress=self.progress)
        return self._cache[key]

    # --------------------------------------------------------------------------------------- training
    def config(self, seed: int = 0, **overrides: Any) -> RecognizerConfig:
        values = {k: self.params[k] for k in RECOGNIZER_PARAMS if k in self.params}
        values.update(overrides)
        return make_config(values, seed=seed)

    def train(self, cfg: RecognizerConfig):
        from .train import train

        return train(cfg, self.store, self.alphabet, self.features(cfg.teacher) if cfg.distills else None,
                     progress=self.progress)

    def splits(self) -> dict[str, Any]:
        from .data import RecognizerData

        if "splits" not in self._cache:
            cfg = self.config()
            self._cache["splits"] = {part: RecognizerData(self.store, self.alphabet, [part], subsample=cfg.subsample,
                                                          max_frames=cfg.max_frames)
                                     for part in ("train", "dev", "test")}
        return self._cache["splits"]

    def labels(self, split: str) -> list[str]:
        seqs = self.store.sequences
        return [seqs[f].label for f in self.splits()[split].filenames]

    def baseline(self) -> dict[str, dict[str, Any]]:
        """The learned-nothing row per split: the best constant string of the training labels."""
        train_labels = self.labels("train")
        return {split: constant_baseline(train_labels, self.labels(split)) for split in ("train", "dev", "test")}

    def corpus_name(self) -> str:
        return "synthetic" if self.synthetic else Path(self.params["corpus_path"]).name

    def results_path(self) -> Path:
        return Path(self.params.get("out_dir", "runs/interactive")) / "tables" / "results.csv"

    def evaluate(self, result, splits: Sequence[str] = ("dev", "test"), beam: int | None = None) -> dict[str, Any]:
        """Predictions and metrics of a trained run on ``splits``, greedy and (``beam`` > 0) beam search;
        rows written to the results table."""
        beam = self.params.get("beam", 0) if beam is None else beam
        out: dict[str, Any] = {"predictions": {}, "metrics": {}}
        for split in splits:
            data = self.splits()[split]
            pred = predict(result.model, data)
            m = split_metrics(pred)
            if beam:
                pb = predict(result.model, data, beam=beam)
                mb = split_metrics(pb)
                m.update(letter_accuracy_beam=mb["letter_accuracy"], letter_accuracy_htk_beam=mb["letter_accuracy_htk"])
                out["predictions"][f"{split}_beam"] = pb
            out["predictions"][split] = pred
            out["metrics"][split] = m
        rep = result.report
        out["metrics"]["train"] = {"train_frames_per_s": rep["train_frames_per_s"], "train_seconds": rep["train_seconds"],
                                   "best_epoch": rep["best_epoch"]}
        run = dict(run_id=rep["run_id"], study="fingerspelling", corpus=self.corpus_name(), alphabet=self.alphabet.name,
                   variant=rep["variant"], teacher=rep["teacher"] or "none", seed=rep["config"]["seed"])
        results_table.record(self.results_path(), run, out["metrics"], config=rep["config"])
        return out

    def baseline_id(self) -> str:
        """The run id of this corpus's learned-nothing row in the results table."""
        return f"constant-{self.corpus_name()}-{self.alphabet.name}"

    def record_baseline(self) -> pd.DataFrame:
        base = self.baseline()
        run = dict(run_id=self.baseline_id(), study="fingerspelling", corpus=self.corpus_name(),
                   alphabet=self.alphabet.name, variant="constant", teacher="none", seed=0)
        metrics = {s: {k: v for k, v in b.items() if k != "output"} for s, b in base.items()}
        results_table.record(self.results_path(), run, metrics, config={"output": base["train"]["output"]})
        return pd.DataFrame([{"split": s, "constant output": b["output"], "letter_accuracy": b["letter_accuracy"],
                              "letter_accuracy_htk": b["letter_accuracy_htk"]} for s, b in base.items()])


def run(params: Mapping[str, Any], progress: bool = True) -> pd.DataFrame:
    """Train and evaluate the configured model for every seed of ``train_seeds``; returns the test metrics
    (one row per seed) and writes the results table."""
    import os

    exp = Experiment.from_params(params, progress=progress)
    main_process = int(os.environ.get("RANK", "0")) == 0     # under torchrun only rank 0 evaluates and writes
    if main_process:
        exp.record_baseline()
    rows = []
    for seed in params.get("train_seeds", [0]):
        res = exp.train(exp.config(seed))
        if not main_process:
            continue
        ev = exp.evaluate(res)
        rows.append({"run_id": res.run_id, "seed": seed, **ev["metrics"]["test"]})
    return pd.DataFrame(rows)


def train_rows(exp: Any, rows: Sequence[tuple[str, str]], seeds: Sequence[int]) -> pd.DataFrame:
    """Train (or load) every ``(variant, teacher)`` row at every seed with :class:`Experiment` ``exp`` (its
    parameters give everything but the variant and teacher), evaluate and record each run in the profile's
    results table. Returns the rows of exactly these runs and of this corpus's constant-output baseline
    (other pages' runs, or runs on another corpus, in the same table are left out)."""
    exp.record_baseline()
    values = {k: v for k, v in exp.params.items() if k in make_config().__dataclass_fields__ and k != "seed"}
    for variant, _ in rows:
        if variant not in LOSS_VARIANTS:
            raise ValueError(f"unknown loss variant {variant!r}; choose from {', '.join(LOSS_VARIANTS)}")
    ids = [exp.baseline_id()]
    for variant, teacher in rows:
        for seed in seeds:
            cfg = make_config({**values, "teacher": teacher}, variant=variant, seed=seed)
            result = exp.train(cfg)
            exp.evaluate(result)
            ids.append(result.run_id)
    table = results_table.read(exp.results_path())
    return table[table["run_id"].isin(ids)].reset_index(drop=True)
