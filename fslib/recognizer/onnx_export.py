"""The trained student as an ONNX model, and running it with ONNX Runtime.

One ``.onnx`` file holds the two parts :mod:`fslib.recognizer.pipeline` calls separately (so a stream encodes
each crop once): inputs ``images`` (N, 3, s, s) float (as :func:`fslib.recognizer.model.to_input` makes them)
and ``features`` (T, F); outputs ``frame_features`` (N, F), the ResNet34's features of the images, and
``log_probs`` (T, C), the 1D-CNN -> BiGRU -> classifier's CTC log-probabilities of the clip (blank = 0). Both N
and T are dynamic. The checkpoint's configuration, alphabet and provenance travel in the model's metadata
(``fslib`` key, JSON), so ``fslib recognize --onnx PATH`` needs nothing else.

Exported with PyTorch's TorchScript-based exporter (``dynamo=False``: the dynamo exporter needs onnxscript,
which this environment does not carry).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

OPSET = 17
META_KEY = "fslib"


class _Graph:
    """Built lazily so importing this module does not import torch."""

    @staticmethod
    def module(model: Any):
        import torch

        from .pipeline import clip_head

        class StudentGraph(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, images, features):
                return self.m.encode_frames(images), clip_head(self.m, features)

        return StudentGraph(model).eval()


def export_onnx(sm: Any, path: str | os.PathLike) -> Path:
    """Write the student of ``sm`` (a :class:`~fslib.recognizer.pipeline.StudyModel`) to ``path``."""
    import onnx
    import torch

    from ..config import as_dict

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = sm.model.eval()
    s = model.cfg.input_size
    images = torch.zeros(2, 3, s, s).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        feats = model.encode_frames(images)
    features = torch.zeros(5, feats.shape[-1])
    tmp = path.with_name(path.name + ".tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and RNN batch-size notes
        torch.onnx.export(
            _Graph.module(model),
            (images, features),
            str(tmp),
            dynamo=False,
            opset_version=OPSET,
            input_names=["images", "features"],
            output_names=["frame_features", "log_probs"],
            dynamic_axes={"images": {0: "N"}, "features": {0: "T"}, "frame_features": {0: "N"}, "log_probs": {0: "T"}},
        )
    proto = onnx.load(str(tmp))
    meta = {
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in as_dict(model.cfg).items()},
        "alphabet": {"name": sm.alphabet.name, "symbols": list(sm.alphabet.symbols)},
        "provenance": sm.provenance,
    }
    entry = proto.metadata_props.add()
    entry.key, entry.value = META_KEY, json.dumps(meta)
    onnx.save(proto, str(tmp))
    os.replace(tmp, path)
    return path


class OnnxStudent:
    """The exported student in ONNX Runtime, with the interface of
    :class:`~fslib.recognizer.pipeline.TorchStudent` (:meth:`encode` one crop, :meth:`head` a clip)."""

    name = "onnxruntime"

    def __init__(self, path: str | os.PathLike, threads: int = 0):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        meta = json.loads(self.session.get_modelmeta().custom_metadata_map[META_KEY])
        self.meta = meta
        self.size = int(meta["config"]["input_size"])
        # the features input's width is fixed in the graph (only its length is dynamic)
        self.feature_dim = int(self.session.get_inputs()[1].shape[1])
        self._empty_images = np.zeros((0, 3, self.size, self.size), np.float32)

    def run(self, images: np.ndarray, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return tuple(self.session.run(None, {"images": images, "features": features}))

    def encode(self, crop: np.ndarray) -> np.ndarray:
        import torch

        from .model import to_input

        x = to_input(torch.from_numpy(np.ascontiguousarray(crop))[None], self.size).contiguous().numpy()
        feats, _ = self.run(x, self._dummy_features())
        return feats[0]

    def head(self, feats: np.ndarray) -> np.ndarray:
        _, logp = self.run(self._empty_images, np.ascontiguousarray(feats, np.float32))
        return logp

    def _dummy_features(self) -> np.ndarray:
        """A one-frame clip for the head's input when only the encoder's output is wanted (ONNX Runtime needs
        every input; a one-frame BiGRU costs microseconds)."""
        return np.zeros((1, self.feature_dim), np.float32)


def load_onnx_model(path: str | os.PathLike, threads: int = 0):
    """A :class:`~fslib.recognizer.pipeline.StudyModel`-like view of an exported file (alphabet, preprocessing,
    frame rate, configuration) and its :class:`OnnxStudent`."""
    from ..alphabet import Alphabet
    from ..preprocess.config import PreprocessConfig
    from .config import make_config
    from .pipeline import RecognizeError, StudyModel

    p = Path(path)
    if not p.exists():
        raise RecognizeError(f"{p}: no such ONNX file; write one with `fslib export --onnx {p}`")
    try:
        student = OnnxStudent(p, threads)
    except KeyError:
        raise RecognizeError(
            f"{p}: an ONNX model without the study's metadata; export it with `fslib export --onnx`"
        ) from None
    except Exception as err:
        raise RecognizeError(f"{p}: ONNX Runtime cannot load it ({type(err).__name__}); export it again") from None
    meta = student.meta
    cfg = make_config({k: (tuple(v) if isinstance(v, list) else v) for k, v in meta["config"].items()})
    prov = meta.get("provenance", {})

    class _Cfg:  # the attributes the pipeline reads of the model
        pass

    holder = _Cfg()
    holder.cfg = cfg
    alpha = Alphabet(meta["alphabet"]["name"], tuple(meta["alphabet"]["symbols"]))
    sm = StudyModel(holder, alpha, PreprocessConfig(**prov.get("preprocess", {})), prov.get("frame_rate"), prov, p)
    return sm, student
