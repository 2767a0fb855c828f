"""metrics.json: the overall metrics and the slices, as docs/results.md describes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Union

from mlgate_results._files import (
    PathLike,
    ResultsError,
    dumps,
    name,
    number,
    plain,
    records,
    results_dir,
    write_text,
)

METRICS_CAP = 4 << 20  # mlgate refuses a larger metrics.json

Slices = Dict[str, Dict[str, Dict[str, Any]]]


def _slice_entry(entry: Mapping[str, Any], where: str) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for metric, value in entry.items():
        metric = name(metric, where)
        if not metric:
            raise ResultsError(f"{where}: an empty metric name")
        if metric == "n":
            n = plain(value)
            if isinstance(n, float) and n.is_integer():
                n = int(n)
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ResultsError(f"{where}.n: the slice size, a whole number >= 0")
            out["n"] = n
        else:
            out[metric] = number(value, f"{where}.{metric}")
    return out


def _checked_slices(slices: Mapping[str, Mapping[Any, Mapping[str, Any]]]) -> Slices:
    out: Slices = {}
    for key, groups in slices.items():
        key = name(key, "slices")
        if not key:
            raise ResultsError("slices: an empty slice key")
        out[key] = {}
        for value, entry in groups.items():
            value = name(value, f"slices.{key}")
            if value in out[key]:
                raise ResultsError(f"slices.{key}: the group {value!r} twice")
            out[key][value] = _slice_entry(entry, f"slices.{key}.{value}")
    return out


def write_metrics(
    metrics: Optional[Mapping[str, Any]] = None,
    slices: Optional[Mapping[str, Mapping[Any, Mapping[str, Any]]]] = None,
    meta: Optional[Mapping[str, Any]] = None,
    directory: Optional[PathLike] = None,
) -> Path:
    """Writes metrics.json: {"metrics": {name: number}, "slices": {key: {value: {name: number,
    "n": size}}}, "meta": {...}} and returns its path. Numbers may be numpy scalars; NaN and the
    infinities are written as Python writes them (mlgate reads them and fails checks on them)."""
    doc: Dict[str, Any] = {"metrics": {}}
    for metric, value in (metrics or {}).items():
        metric = name(metric, "metrics")
        if not metric:
            raise ResultsError("metrics: an empty metric name")
        doc["metrics"][metric] = number(value, f"metrics.{metric}")
    if slices:
        doc["slices"] = _checked_slices(slices)
    if meta is not None:
        doc["meta"] = dict(meta)
    text = dumps(doc, indent=2, default=plain) + "\n"
    return write_text(results_dir(directory) / "metrics.json", text, METRICS_CAP, "metrics.json")


def _ordered(values: Iterable) -> list:
    values = list(values)
    try:
        return sorted(values)
    except TypeError:  # mixed types
        return sorted(values, key=str)


def _groups(data: Any, column: str) -> list:
    """(value, group) pairs in the column's category order (a pandas Categorical), else sorted:
    pandas' group-by when `data` is a DataFrame (a group is a DataFrame), else rows grouped by
    hand (a group is a list of dicts). Rows without a value (None, NaN) are in no group."""
    groupby = getattr(data, "groupby", None)
    if callable(groupby) and hasattr(data, "columns"):
        groups = {plain(v): g for v, g in groupby(column, sort=False, observed=True)}
        categories = getattr(getattr(data[column], "cat", None), "categories", None)
        order = [plain(c) for c in categories] if categories is not None else _ordered(groups)
        return [(v, groups[v]) for v in order if v in groups]
    grouped: Dict[Any, list] = {}
    for row in records(data):
        value = plain(row.get(column))
        if value is None or (isinstance(value, float) and value != value):
            continue
        grouped.setdefault(value, []).append(row)
    return [(v, grouped[v]) for v in _ordered(grouped)]


def slice_metrics(
    data: Any,
    by: Union[str, Iterable[str]],
    metrics: Mapping[str, Callable[[Any], Any]],
    n: bool = True,
) -> Slices:
    """Slices for write_metrics: for each column in `by`, each of its values, every metric
    computed on that value's rows ({name: function(group) -> number}), and the group's size as
    "n" unless n=False. Groups come in the column's category order when it is a pandas
    Categorical, else sorted by value. `data` is a pandas DataFrame (grouped with DataFrame.groupby; each function
    gets the group's DataFrame), a mapping of column name to sequence, or an iterable of row dicts
    (each function gets the group's list of rows)."""
    columns = [by] if isinstance(by, str) else list(by)
    out: Slices = {}
    for column in columns:
        out[column] = {}
        for value, group in _groups(data, column):
            entry = {m: number(fn(group), f"slices.{column}.{value}.{m}") for m, fn in metrics.items()}
            if n:
                entry["n"] = len(group)
            out[column][name(value, f"slices.{column}")] = entry
    return out
