"""Write what an mlgate job hands back, in the formats mlgate parses.

    from mlgate_results import write_metrics, slice_metrics, write_predictions, write_reference, mltest

- write_metrics: metrics.json, the overall metrics and the slices (slice_metrics makes them from a
  pandas group-by or from plain rows);
- write_predictions: predictions.jsonl, one line per example with its truth and slices;
- write_reference: reference.jsonl, the rows production data is compared with (a seeded sample);
- mltest: @mltest("data-1") marks a pytest test with ML Test Score items; the pytest plugin of this
  package writes them as the JUnit property "mltest".

Files go to the directory given, else to $MLGATE_RESULTS, else to the current directory.
Standard library only; pandas and numpy values are accepted when they are installed and never
imported here.
"""

from mlgate_results._files import ResultsError, results_dir
from mlgate_results.metrics import slice_metrics, write_metrics
from mlgate_results.predictions import write_predictions
from mlgate_results.reference import write_reference
from mlgate_results.pytest_plugin import mltest

__version__ = "0.1.0"

__all__ = [
    "ResultsError",
    "mltest",
    "results_dir",
    "slice_metrics",
    "write_metrics",
    "write_predictions",
    "write_reference",
]
