"""@mltest("data-1"): ML Test Score items of a pytest test, as the JUnit property mlgate reads.

pytest loads this module by itself when the package is installed (an entry point); without the
package's metadata, list it in a conftest.py: pytest_plugins = ["mlgate_results.pytest_plugin"].
Each id becomes <property name="mltest" value="data-1"/> in the test's <testcase> of
`pytest --junitxml` (any junit_family), as record_property("mltest", "data-1") writes it. pytest
is imported only when a test is marked, never when this package is imported.
"""

from __future__ import annotations

import re

MARKER = "mltest"
_ID = re.compile(r"^(data|model|infra|monitor)-[1-7]$")


def mltest(*ids: str):
    """A pytest mark naming the ML Test Score items ("data-1", "model-6", ...) this test gives
    evidence for: @mltest("data-1", "data-7")."""
    if not ids:
        raise ValueError("mltest: name at least one item, e.g. mltest(\"data-1\")")
    for item in ids:
        if not isinstance(item, str) or not _ID.match(item):
            raise ValueError(
                f"mltest: {item!r} is not an ML Test Score item (data-1 ... monitor-7)"
            )
    import pytest

    return getattr(pytest.mark, MARKER)(*ids)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(*ids): ML Test Score items this test gives evidence for (mlgate)"
    )


def pytest_collection_modifyitems(session, config, items) -> None:
    for item in items:
        for mark in item.iter_markers(name=MARKER):
            for item_id in mark.args:
                item.user_properties.append((MARKER, str(item_id)))
