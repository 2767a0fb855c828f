"""reference.jsonl: the rows production data is compared with (docs/observations.md)."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from mlgate_results._files import (
    PathLike,
    ResultsError,
    dumps,
    name,
    plain,
    records,
    results_dir,
    scalar,
    write_text,
)

REFERENCE_CAP = 64 << 20
MAX_FEATURES = 500  # mlgate profiles at most this many features of a row


def _finite(value: Any, where: str) -> Any:
    """A feature, label, score or truth for reference.jsonl, whose JSON has no NaN: a scalar, with
    NaN and the infinities (a missing value) written as null."""
    value = scalar(plain(value), where)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _sample(n: int, max_rows: int, seed: int) -> List[int]:
    if n <= max_rows:
        return list(range(n))
    return sorted(random.Random(seed).sample(range(n), max_rows))


def write_reference(
    features: Any,
    labels: Optional[Sequence[Any]] = None,
    scores: Optional[Sequence[Any]] = None,
    truth: Optional[Sequence[Any]] = None,
    max_rows: int = 10_000,
    seed: int = 0,
    directory: Optional[PathLike] = None,
) -> Path:
    """Writes reference.jsonl, one {"features": {...}, "prediction": {"label", "score"}, "truth"}
    per row, and returns its path. `features` is a DataFrame, a mapping of column to sequence or a
    list of row dicts; labels, scores and truth are columns as long. Over `max_rows` rows, a
    sample of max_rows drawn with random.Random(seed) is written, in the rows' order: the same data
    and seed give the same file."""
    rows = records(features)
    n = len(rows)
    columns = {"labels": labels, "scores": scores, "truth": truth}
    cols: Dict[str, Optional[list]] = {}
    for what, values in columns.items():
        cols[what] = None if values is None else list(values)
        if cols[what] is not None and len(cols[what]) != n:
            raise ResultsError(f"{what}: {len(cols[what])} values for {n} rows")
    if max_rows < 1:
        raise ResultsError("max_rows: at least 1")
    lines = []
    for i in _sample(n, max_rows, seed):
        row = rows[i]
        if len(row) > MAX_FEATURES:
            raise ResultsError(f"row {i}: {len(row)} features, over mlgate's {MAX_FEATURES}")
        where = f"row {i}"
        out: Dict[str, Any] = {
            "features": {name(k, where): _finite(v, f"{where}: {k}") for k, v in row.items()}
        }
        prediction = {}
        if cols["labels"] is not None:
            prediction["label"] = _finite(cols["labels"][i], f"{where}: label")
        if cols["scores"] is not None:
            prediction["score"] = _finite(cols["scores"][i], f"{where}: score")
        if prediction:
            out["prediction"] = prediction
        if cols["truth"] is not None:
            out["truth"] = _finite(cols["truth"][i], f"{where}: truth")
        lines.append(dumps(out))
    if not lines:
        raise ResultsError("reference.jsonl: no rows")
    text = "\n".join(lines) + "\n"
    path = results_dir(directory) / "reference.jsonl"
    return write_text(path, text, REFERENCE_CAP, "reference.jsonl")
