"""In the image: the installed package is this source tree's, and a full set of result files for
mlgate's own parsers (tests/integration/core/python_helper_test.cpp) when MLGATE_HELPER_OUT is set."""

import filecmp
import os
from pathlib import Path

import pytest

import mlgate_results
from mlgate_results import mltest, slice_metrics, write_metrics, write_predictions, write_reference


def test_the_installed_package_is_this_source():
    source = os.environ.get("MLGATE_HELPER_SOURCE")
    if not source:
        pytest.skip("MLGATE_HELPER_SOURCE names the source tree to compare with")
    installed = Path(mlgate_results.__file__).parent
    names = sorted(p.name for p in (Path(source) / "mlgate_results").glob("*.py"))
    match, mismatch, errors = filecmp.cmpfiles(Path(source) / "mlgate_results", installed, names, shallow=False)
    assert not mismatch and not errors, (
        f"the image's mlgate_results differs from the source ({mismatch + errors}): scripts/images python"
    )


@mltest("data-1", "monitor-3")
def test_writes_every_file_for_mlgate(tmp_path):
    out = Path(os.environ.get("MLGATE_HELPER_OUT") or tmp_path)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "id": [f"case-{i:03d}" for i in range(40)],
            "band": ["small" if i % 4 == 0 else "large" for i in range(40)],
            "radius": [10.0 + i / 4 for i in range(40)],
            "truth": [i % 3 == 0 for i in range(40)],
        }
    )
    frame["score"] = [min(1.0, 0.05 + (0.8 if t else 0.1) + (i % 5) / 50) for i, t in enumerate(frame.truth)]
    frame["label"] = (frame.score >= 0.5).astype(int)
    frame["truth"] = frame.truth.astype(int)
    recall = lambda g: float((g.label[g.truth == 1] == 1).mean()) if (g.truth == 1).any() else 0.0
    write_metrics(
        {"recall": recall(frame), "accuracy": float((frame.label == frame.truth).mean())},
        slices=slice_metrics(frame, "band", {"recall": recall}),
        meta={"rows": len(frame)},
        directory=out,
    )
    write_predictions(
        ids=frame.id, labels=frame.label, scores=frame.score, truth=frame.truth,
        slices=frame[["band"]], directory=out,
    )
    write_reference(frame[["radius", "band"]], labels=frame.label, scores=frame.score,
                    truth=frame.truth, max_rows=25, seed=3, directory=out)
    for name in ("metrics.json", "predictions.jsonl", "reference.jsonl"):
        assert (out / name).stat().st_size > 0
