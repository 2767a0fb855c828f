"""Where result files go and how values become JSON mlgate accepts."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]


class ResultsError(ValueError):
    """A value mlgate would refuse, named by where it is (e.g. "slices.age.<30.recall")."""


def results_dir(directory: Optional[PathLike] = None) -> Path:
    """`directory`, else $MLGATE_RESULTS, else the current directory; created when missing."""
    chosen = directory if directory is not None else os.environ.get("MLGATE_RESULTS") or "."
    path = Path(chosen)
    path.mkdir(parents=True, exist_ok=True)
    return path


def plain(value: Any) -> Any:
    """A numpy or pandas scalar as the Python scalar it holds; anything else unchanged."""
    if isinstance(value, (str, bytes, bool, int, float)) or value is None:
        return value
    item = getattr(value, "item", None)  # numpy.generic and friends
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def number(value: Any, where: str) -> float:
    """A metric value: an int or a float (NaN and the infinities allowed: mlgate fails checks on
    them); bools, strings and None are refused."""
    value = plain(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ResultsError(f"{where}: expected a number, got {type(value).__name__}")
    return float(value) if isinstance(value, float) else value


def finite_or_none(value: Any, where: str) -> Optional[float]:
    """A score or a regression value: a number, or None for none."""
    value = plain(value)
    if value is None:
        return None
    return number(value, where)


def scalar(value: Any, where: str) -> Any:
    """A label or truth: a string, number or bool (None: unknown). Whole floats stay floats: mlgate
    reads 1.0 as the label 1."""
    value = plain(value)
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None  # pandas' missing value
        return value
    raise ResultsError(f"{where}: expected a string, number or bool, got {type(value).__name__}")


def name(value: Any, where: str) -> str:
    """A metric name, slice key or slice value as text (slice values may be numbers)."""
    value = plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, (str, int, float)):
        raise ResultsError(f"{where}: expected a name, got {type(value).__name__}")
    text = str(value)
    if "\x00" in text:
        raise ResultsError(f"{where}: a NUL character")
    return text


def dumps(obj: Any, **kwargs: Any) -> str:
    """JSON as mlgate reads it: ASCII, NaN/Infinity spelt as Python writes them."""
    return json.dumps(obj, ensure_ascii=True, allow_nan=True, **kwargs)


def write_text(path: Path, text: str, cap: int, what: str) -> Path:
    size = len(text.encode("utf-8"))
    if size > cap:
        raise ResultsError(f"{what}: {size} bytes, over mlgate's cap of {cap} bytes")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def records(data: Any) -> list:
    """Rows as dicts: a pandas DataFrame (by duck typing: to_dict("records")), a mapping of column
    name to sequence, or an iterable of mappings."""
    to_dict = getattr(data, "to_dict", None)
    if callable(to_dict) and hasattr(data, "columns"):
        return to_dict("records")
    if isinstance(data, dict):
        columns = list(data)
        lengths = {len(data[c]) for c in columns}
        if len(lengths) > 1:
            raise ResultsError(f"columns of different lengths: {sorted(lengths)}")
        n = lengths.pop() if lengths else 0
        return [{c: data[c][i] for c in columns} for i in range(n)]
    return [dict(row) for row in data]
