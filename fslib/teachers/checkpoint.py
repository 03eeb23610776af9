"""Loading the official HaMeR checkpoint (and saving fslib's own teachers in the same layout).

The released ``hamer.ckpt`` is a PyTorch Lightning file: the weights are in ``ckpt["state_dict"]`` with
prefixes ``backbone.``, ``mano_head.``, ``discriminator.`` (the adversarial prior, unused here) and possibly
``mano.`` (MANO buffers, unused here). Only ``backbone.*`` and ``mano_head.*`` are loaded, strictly: every
missing, unexpected or mis-shaped key among them is named in the error.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from ..cache import atomic_path
from ..config import as_dict, build_config
from .hamer import Hamer, HamerConfig, build_hamer

USED_PREFIXES = ("backbone.", "mano_head.")
IGNORED_PREFIXES = ("discriminator.", "mano.")


class CheckpointError(ValueError):
    """A checkpoint file that does not match the network it should load into."""


class _Missing(dict):
    """Stand-in for a class that cannot be imported while unpickling (e.g. the yacs ``CfgNode``, a dict
    subclass, in the hyper-parameters). It keeps whatever state it is given and is never used."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.args, self.kwargs = args, kwargs

    def append(self, item: Any) -> None:
        self.setdefault("__items__", []).append(item)

    def extend(self, items: Any) -> None:
        self.setdefault("__items__", []).extend(items)

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __call__(self, *args: Any, **kwargs: Any) -> _Missing:
        return _Missing(*args, **kwargs)


class _LenientUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return type(name, (_Missing,), {"__module__": module})


class _LenientPickle:
    """A ``pickle_module`` for ``torch.load`` that replaces unimportable classes by inert stand-ins."""

    Unpickler = _LenientUnpickler
    load = staticmethod(lambda f, **kw: _LenientUnpickler(f, **kw).load())
    loads = staticmethod(pickle.loads)
    __name__ = "fslib_lenient_pickle"


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The weights of a checkpoint file as a flat ``{name: tensor}`` dict (CPU).

    Accepts a Lightning checkpoint (``state_dict`` inside), fslib's own teacher files (same layout) and a
    bare state dict. The Lightning file's hyper-parameters hold a yacs object: it is first tried with
    ``weights_only=True``, then with an unpickler that stubs classes that are not installed.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"HaMeR checkpoint {str(path)!r} does not exist; give the path to hamer.ckpt "
            "(_DATA/hamer_ckpts/checkpoints/hamer.ckpt in a HaMeR checkout), or leave hamer_checkpoint empty "
            "to use the synthetic-pretrained teacher"
        )
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - any unpickling refusal: retry leniently (trusted local file)
        obj = torch.load(path, map_location="cpu", weights_only=False, pickle_module=_LenientPickle)
    if isinstance(obj, Mapping) and "state_dict" in obj:
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path}: expected a Lightning checkpoint with a 'state_dict' or a dict of tensors")
    return dict(obj)


def _listing(items: list[str], limit: int = 12) -> str:
    head = ", ".join(items[:limit])
    return head + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


def check_state_dict(
    model: Hamer, state: Mapping[str, torch.Tensor], source: str = "checkpoint"
) -> dict[str, torch.Tensor]:
    """The ``backbone.*``/``mano_head.*`` entries of ``state``, checked against ``model``.

    Raises :class:`CheckpointError` naming every missing key, unexpected key and mis-shaped key
    (with both shapes). ``discriminator.*``, ``mano.*`` and other top-level entries are ignored.
    """
    wanted = model.state_dict()
    used = {k: v for k, v in state.items() if k.startswith(USED_PREFIXES)}
    missing = sorted(set(wanted) - set(used))
    unexpected = sorted(set(used) - set(wanted))
    misshaped = sorted(
        f"{k} (checkpoint {tuple(used[k].shape)}, model {tuple(wanted[k].shape)})"
        for k in set(used) & set(wanted)
        if tuple(used[k].shape) != tuple(wanted[k].shape)
    )
    problems = []
    if missing:
        problems.append(f"missing {len(missing)} key(s): {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected {len(unexpected)} key(s): {_listing(unexpected)}")
    if misshaped:
        problems.append(f"mis-shaped {len(misshaped)} key(s): {_listing(misshaped)}")
    if problems:
        raise CheckpointError(
            f"{source} does not fit a HaMeR network of size {_size_summary(model.config)}: "
            + "; ".join(problems)
            + ". Check that the file is hamer.ckpt (or a teacher saved by fslib) and that the configured "
            "size matches it."
        )
    return used


def _size_summary(c: HamerConfig) -> str:
    return f"ViT {c.vit_width}x{c.vit_depth} on {c.crop_hw[0]}x{c.crop_hw[1]}, head {c.token_dim}x{c.head_depth}"


def load_hamer_checkpoint(path: str | Path, config: HamerConfig | None = None) -> Hamer:
    """Build a :class:`Hamer` and load ``path`` into it strictly; returned in eval mode.

    ``config``: the network size; if None, the configuration stored by fslib in the file
    (``fslib_config``) when present, else the released HaMeR.
    """
    path = Path(path)
    state = read_state_dict(path)
    if config is None:
        config = stored_config(path) or HamerConfig()
    model = build_hamer(config, init="fast")
    used = check_state_dict(model, state, source=f"checkpoint {path}")
    model.load_state_dict(used, strict=True)
    return model.eval()


def stored_config(path: str | Path) -> HamerConfig | None:
    """The ``fslib_config`` saved by :func:`save_hamer_checkpoint`, or None for foreign files."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - foreign (e.g. Lightning) files hold objects: they carry no fslib config
        return None
    cfg = obj.get("fslib_config") if isinstance(obj, Mapping) else None
    return build_config(HamerConfig, cfg) if cfg else None


def save_hamer_checkpoint(model: Hamer, path: str | Path, extra: Mapping[str, Any] | None = None) -> Path:
    """Write ``model`` atomically in the checkpoint layout (``state_dict`` with ``backbone.``/``mano_head.``),
    with its configuration under ``fslib_config`` and JSON-able ``extra`` metadata under ``fslib_meta``."""
    path = Path(path)
    payload = {
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "fslib_config": as_dict(model.config),
        "fslib_meta": dict(extra or {}),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path
