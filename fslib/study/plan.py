"""The study plan: notebook order, profiles and parameter resolution (``fslib/study.yml``)."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PROFILES = ("smoke", "ci", "full", "paper")
PLAN_FILE = Path(__file__).resolve().parent.parent / "study.yml"
RUNNER_PARAMS = ("profile", "out_dir")  # injected by the runner into every notebook that declares them


def is_path_parameter(name: str) -> bool:
    """Parameters naming a file or folder of the user's (``corpus_path``, ``islr_corpus_path``,
    ``hamer_checkpoint``): a relative one given with ``--set`` is resolved against the current directory."""
    return name.endswith("_path") or name.endswith("_checkpoint")


class ParameterError(ValueError):
    """A ``--set`` or profile parameter that no notebook declares, or of the wrong type."""


@dataclasses.dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    type_name: str
    help: str = ""

    def describe(self) -> str:
        return f"{self.name} ({self.type_name}, default {self.default!r})"


@lru_cache(maxsize=64)
def _inspect(path: str, mtime: float) -> dict[str, Parameter]:
    import papermill

    out = {}
    for name, info in papermill.inspect_notebook(path).items():
        try:
            default = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            default = info["default"]
        type_name = type(default).__name__ if default is not None else "any"
        out[name] = Parameter(name, default, type_name, info.get("help") or "")
    return out


def notebook_parameters(path: Path) -> dict[str, Parameter]:
    """Parameters declared in the cell tagged ``parameters`` of the notebook at ``path``."""
    if not path.exists():
        raise FileNotFoundError(f"notebook {path.name} is listed in the study plan but {path} does not exist")
    params = _inspect(str(path), path.stat().st_mtime)
    if not params:
        raise ParameterError(
            f"notebook {path.name} has no cell tagged 'parameters' (or it assigns no names); "
            "add one right after the title holding the notebook's literals"
        )
    return params


def _parse_literal(raw: str) -> Any:
    low = raw.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low in ("none", "null"):
        return None
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw


def coerce(param: Parameter, value: Any, *, notebook: str, source: str) -> Any:
    """Check ``value`` against the type of ``param``'s default; return it converted (int -> float etc.)."""
    d = param.default

    def bad() -> ParameterError:
        return ParameterError(
            f"{source}: parameter {param.name!r} of notebook {notebook} expects {param.type_name} "
            f"(default {d!r}), got {value!r}"
        )

    if d is None:
        return value
    if isinstance(d, bool):
        if isinstance(value, bool):
            return value
        raise bad()
    if isinstance(d, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise bad()
    if isinstance(d, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise bad()
    if isinstance(d, str):
        if isinstance(value, (dict, list, tuple)):
            raise bad()
        return value if isinstance(value, str) else str(value)
    if isinstance(d, (list, tuple)):
        if not isinstance(value, (list, tuple)):
            raise bad()
        if d:
            proto = Parameter(param.name, d[0], type(d[0]).__name__)
            value = [coerce(proto, v, notebook=notebook, source=source) for v in value]
        return list(value) if isinstance(d, list) else tuple(value)
    if isinstance(d, dict):
        if not isinstance(value, dict):
            raise bad()
        return value
    return value


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    description: str
    budget_minutes: float | None
    params: Mapping[str, Mapping[str, Any]]
    requires: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Inheritance:
    """Notebooks that take another notebook's parameters: each child declares only the parameters it adds or
    changes and receives every parameter of ``parent`` except the parent's ``own`` ones (profile values and
    ``--set`` included), so a setting shared by several pages is written once."""

    parent: str
    children: tuple[str, ...]
    own: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Plan:
    """The ordered notebooks and the profiles, read from ``study.yml``."""

    notebooks: tuple[str, ...]
    profiles: Mapping[str, Profile]
    notebooks_dir: Path
    inherits: tuple[Inheritance, ...] = ()
    reads: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    def path(self, notebook: str) -> Path:
        return self.notebooks_dir / f"{notebook}.ipynb"

    def upstream(self, notebook: str) -> list[str]:
        """The earlier notebooks whose outputs ``notebook`` reads (``reads:`` of ``study.yml``), directly or
        through another one, in plan order; none for a notebook that ``reads:`` does not list."""
        found: set[str] = set()
        todo = list(self.reads.get(notebook, ()))
        while todo:
            nb = todo.pop()
            if nb not in found:
                found.add(nb)
                todo += self.reads.get(nb, ())
        return [nb for nb in self.notebooks if nb in found]

    def parent(self, notebook: str) -> Inheritance | None:
        """The inheritance rule that gives ``notebook`` its parent's parameters, if any."""
        return next((i for i in self.inherits if notebook in i.children), None)

    def inherited(self, notebook: str) -> dict[str, Parameter]:
        """The parameters ``notebook`` takes from its parent (none without one). The parent's profile values
        reach them even where the child's cell declares the name too (with another default); the child's
        own profile block and ``--set`` come after."""
        rule = self.parent(notebook)
        if rule is None:
            return {}
        return {k: v for k, v in self.parameters(rule.parent).items() if k not in rule.own and k not in RUNNER_PARAMS}

    def parameters(self, notebook: str) -> dict[str, Parameter]:
        """The parameters of ``notebook``: those it inherits, and those its parameters cell declares."""
        return {**self.inherited(notebook), **notebook_parameters(self.path(notebook))}

    def select(self, only: Sequence[str] = ()) -> list[str]:
        """Notebooks to run, in plan order; ``only`` entries may be full names or their ``NN`` prefix."""
        if not only:
            return list(self.notebooks)
        chosen = set()
        for want in only:
            hits = [n for n in self.notebooks if n == want or n.split("_", 1)[0] == want or n.startswith(want)]
            if not hits:
                raise ParameterError(f"--only {want!r}: no such notebook; the plan has {', '.join(self.notebooks)}")
            chosen.update(hits)
        return [n for n in self.notebooks if n in chosen]

    def resolve(
        self, profile: str, notebooks: Sequence[str], sets: Sequence[str] = (), *, out_dir: str = ""
    ) -> dict[str, dict[str, Any]]:
        """Parameters for each notebook: profile values, then ``--set`` overrides, all type-checked.

        ``sets`` entries are ``key=value`` (every selected notebook that declares ``key``) or
        ``NOTEBOOK:key=value`` (that notebook only).
        """
        if profile not in self.profiles:
            raise ParameterError(f"unknown profile {profile!r}; choose one of {', '.join(self.profiles)}")
        prof = self.profiles[profile]
        declared = {nb: self.parameters(nb) for nb in notebooks}
        resolved: dict[str, dict[str, Any]] = {nb: {} for nb in notebooks}

        def apply(nb: str, key: str, value: Any, source: str) -> None:
            resolved[nb][key] = coerce(declared[nb][key], value, notebook=nb, source=source)

        for nb in notebooks:
            for key in RUNNER_PARAMS:
                if key in declared[nb]:
                    resolved[nb][key] = {"profile": profile, "out_dir": out_dir}[key]
            for key, value in (prof.params.get("all") or {}).items():
                if key in declared[nb]:
                    apply(nb, key, value, f"profile {profile} (all)")
            rule = self.parent(nb)
            if rule is not None:
                # the parent's defaults (the child's cell does not hold them), its profile values, then the
                # child's own block
                inherited = self.inherited(nb)
                own = notebook_parameters(self.path(nb))
                resolved[nb].update(
                    {k: p.default for k, p in inherited.items() if k not in own and k not in resolved[nb]}
                )
                for key, value in (prof.params.get(rule.parent) or {}).items():
                    if key in inherited:
                        apply(nb, key, value, f"profile {profile} ({rule.parent}, inherited)")
            for key, value in (prof.params.get(nb) or {}).items():
                if key not in declared[nb]:
                    raise ParameterError(
                        f"study.yml, profile {profile}, notebook {nb}: {key!r} is not a parameter of the "
                        f"notebook; it declares {self._describe(declared[nb])}"
                    )
                apply(nb, key, value, f"profile {profile}")

        for item in sets:
            if "=" not in item:
                raise ParameterError(f"--set {item!r}: expected key=value or NOTEBOOK:key=value")
            key, raw = item.split("=", 1)
            key = key.strip()
            target = list(notebooks)
            if ":" in key:
                nb_part, key = key.split(":", 1)
                named = self.select([nb_part])
                # a parent's setting reaches the children that inherit it
                named += [c for i in self.inherits if i.parent in named for c in i.children if key not in i.own]
                target = [nb for nb in notebooks if nb in named]
                if not target:
                    raise ParameterError(f"--set {item!r}: notebook {nb_part!r} is not part of this run")
            if key in RUNNER_PARAMS:
                raise ParameterError(f"--set {item!r}: {key!r} is set by the runner (use --profile)")
            hits = [nb for nb in target if key in declared[nb]]
            if not hits:
                allowed = "; ".join(f"{nb}: {self._describe(declared[nb])}" for nb in target)
                raise ParameterError(
                    f"--set {item!r}: no notebook in this run declares a parameter {key!r}. Allowed: {allowed}"
                )
            value = _parse_literal(raw)
            if is_path_parameter(key) and isinstance(value, str) and value:
                # a path given on the command line is relative to where the command runs (the notebooks run in
                # notebooks/), and must exist before any work starts
                path = Path(value).expanduser()
                if not path.exists():
                    raise ParameterError(f"--set {item!r}: {path} does not exist; give an existing file or folder")
                value = str(path.resolve())
            for nb in hits:
                apply(nb, key, value, f"--set {item}")

        for key in prof.requires:
            if not any(resolved[nb].get(key) for nb in notebooks if key in declared[nb]):
                raise ParameterError(
                    f"profile {profile} needs {key!r}: give it with --set {key}=... (see the reproduction page)"
                )
        return resolved

    @staticmethod
    def _describe(params: Mapping[str, Parameter]) -> str:
        return ", ".join(p.describe() for p in params.values() if p.name not in RUNNER_PARAMS) or "(none)"


def load_plan(plan_file: Path | None = None, notebooks_dir: Path | None = None) -> Plan:
    """Read the plan; ``notebooks_dir`` defaults to ``<root>/notebooks``."""
    from ..paths import repo_root

    plan_file = Path(plan_file or PLAN_FILE)
    data = yaml.safe_load(plan_file.read_text())
    notebooks = tuple(data["notebooks"])
    if len(set(notebooks)) != len(notebooks):
        raise ValueError(f"{plan_file.name}: a notebook is listed twice")
    profiles = {}
    for name, p in data["profiles"].items():
        unknown = set(p) - {"description", "budget_minutes", "params", "requires"}
        if unknown:
            raise ValueError(f"{plan_file.name}: profile {name} has unknown keys {sorted(unknown)}")
        params = p.get("params") or {}
        stray = set(params) - {"all"} - set(notebooks)
        if stray:
            raise ValueError(f"{plan_file.name}: profile {name} sets parameters of unknown notebooks {sorted(stray)}")
        profiles[name] = Profile(
            name, p.get("description", ""), p.get("budget_minutes"), params, tuple(p.get("requires") or ())
        )
    inherits = []
    for parent, rule in (data.get("inherit") or {}).items():
        children = tuple(rule.get("children") or ())
        stray = [n for n in (parent, *children) if n not in notebooks]
        if stray or set(rule) - {"children", "own"}:
            raise ValueError(
                f"{plan_file.name}: inherit of {parent}: unknown notebooks {stray} or keys "
                f"{sorted(set(rule) - {'children', 'own'})}"
            )
        inherits.append(Inheritance(parent, children, tuple(rule.get("own") or ())))
    reads = _reads(data.get("reads"), notebooks, plan_file.name)
    return Plan(notebooks, profiles, Path(notebooks_dir or repo_root() / "notebooks"), tuple(inherits), reads)


def _reads(raw: Any, notebooks: tuple[str, ...], where: str) -> dict[str, tuple[str, ...]]:
    """The ``reads:`` block (notebook -> earlier notebooks whose outputs it reads), checked: every name a
    notebook of the plan, every notebook read listed before its reader."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: reads must map a notebook to the list of earlier notebooks it reads")
    out = {}
    for reader, read in raw.items():
        if reader not in notebooks:
            raise ValueError(f"{where}: reads lists an unknown notebook {reader!r}")
        if isinstance(read, str) or not isinstance(read, Sequence):
            raise ValueError(f"{where}: reads of {reader}: expected a list of notebooks, got {read!r}")
        for nb in read:
            if nb not in notebooks:
                raise ValueError(f"{where}: reads of {reader}: unknown notebook {nb!r}")
            if notebooks.index(nb) >= notebooks.index(reader):
                raise ValueError(
                    f"{where}: reads of {reader}: {nb} does not run before {reader} (a notebook reads only earlier ones)"
                )
        out[reader] = tuple(read)
    return out
