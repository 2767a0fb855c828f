"""predictions.jsonl: one line per example of a fixed evaluation set (docs/results.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from mlgate_results._files import (
    PathLike,
    ResultsError,
    dumps,
    finite_or_none,
    name,
    plain,
    records,
    results_dir,
    scalar,
    write_text,
)

PREDICTIONS_CAP = 64 << 20
MAX_LINES = 1_000_000
MAX_MEMBERS = 64  # of "slices" and of "scores" on one line


def _column(values: Optional[Sequence[Any]], n: int, what: str) -> Optional[List[Any]]:
    if values is None:
        return None
    values = list(values)
    if len(values) != n:
        raise ResultsError(f"{what}: {len(values)} values for {n} ids")
    return values


def _id(value: Any, line: int) -> Any:
    value = plain(value)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise ResultsError(f"line {line}: id must be a non-empty string or an integer")
    return value


def _members(row: Optional[Mapping[str, Any]], line: int, what: str, convert) -> Optional[dict]:
    if row is None:
        return None
    if len(row) > MAX_MEMBERS:
        raise ResultsError(f"line {line}: {what} has {len(row)} members, over mlgate's cap of 64")
    out = {}
    for key, value in row.items():
        key = name(key, f"line {line}: {what}")
        if not key:
            raise ResultsError(f"line {line}: {what}: an empty name")
        out[key] = convert(value, f"line {line}: {what}.{key}")
    return out



def _line(i: int, ident: Any, cols: Dict[str, Optional[List[Any]]], slices, scores) -> dict:
    line = i + 1
    row: Dict[str, Any] = {"id": _id(ident, line)}
    if cols["labels"] is not None:
        row["label"] = scalar(cols["labels"][i], f"line {line}: label")
    if cols["scores"] is not None:
        row["score"] = finite_or_none(cols["scores"][i], f"line {line}: score")
    if cols["values"] is not None:
        row["value"] = finite_or_none(cols["values"][i], f"line {line}: value")
    if row.get("label") is None and row.get("score") is None and row.get("value") is None:
        raise ResultsError(f"line {line}: a line needs a label, a score or a value")
    if cols["truth"] is not None:
        row["truth"] = scalar(cols["truth"][i], f"line {line}: truth")
    if slices is not None:
        row["slices"] = _members(slices[i], line, "slices", scalar)
    if scores is not None:
        row["scores"] = _members(scores[i], line, "scores", finite_or_none)
    return row


def write_predictions(
    ids: Sequence[Any],
    labels: Optional[Sequence[Any]] = None,
    scores: Optional[Sequence[Any]] = None,
    truth: Optional[Sequence[Any]] = None,
    slices: Any = None,
    values: Optional[Sequence[Any]] = None,
    class_scores: Optional[Sequence[Mapping[Any, Any]]] = None,
    directory: Optional[PathLike] = None,
) -> Path:
    """Writes predictions.jsonl, one {"id", "label", "score", "value", "truth", "slices",
    "scores"} per id, and returns its path. Columns are sequences as long as `ids` (lists, numpy
    arrays, pandas Series); `slices` is a DataFrame or a mapping of slice name to column (or a list
    of per-row dicts); `class_scores` a list of per-row {label: probability}. Ids must be unique
    non-empty strings or integers; each line needs a label, a score or a value."""
    ids = list(ids)
    n = len(ids)
    if n == 0:
        raise ResultsError("predictions.jsonl: no predictions (mlgate refuses an empty file)")
    if n > MAX_LINES:
        raise ResultsError(f"predictions.jsonl: {n} predictions, over mlgate's cap of {MAX_LINES}")
    cols = {
        "labels": _column(labels, n, "labels"),
        "scores": _column(scores, n, "scores"),
        "values": _column(values, n, "values"),
        "truth": _column(truth, n, "truth"),
    }
    slice_rows = _column(records(slices), n, "slices") if slices is not None else None
    score_rows = _column(class_scores, n, "class_scores")
    seen: Dict[str, int] = {}
    out = []
    for i, ident in enumerate(ids):
        row = _line(i, ident, cols, slice_rows, score_rows)
        key = str(row["id"])
        if key in seen:
            raise ResultsError(f"line {i + 1}: duplicate id {key!r} (first on line {seen[key]})")
        seen[key] = i + 1
        out.append(dumps(row))
    text = "\n".join(out) + "\n"
    path = results_dir(directory) / "predictions.jsonl"
    return write_text(path, text, PREDICTIONS_CAP, "predictions.jsonl")
