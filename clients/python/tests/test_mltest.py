import os
import sys
import xml.etree.ElementTree as ET

import pytest

import mlgate_results
from mlgate_results import mltest

INNER = """
from mlgate_results import mltest

@mltest("data-1")
def test_schema():
    pass

@mltest("model-6", "infra-2")
def test_two_items():
    assert 1 == 2

def test_plain():
    pass
"""


def _properties(xml_path):
    out = {}
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        out[case.get("name")] = [p.get("value") for p in case.iter("property") if p.get("name") == "mltest"]
    return out


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_marked_tests_carry_the_mltest_property_in_junit_xml(pytester, family):
    pytester.makepyfile(test_inner=INNER)
    xml = pytester.path / "junit.xml"
    result = pytester.runpytest_subprocess(
        "-p", "mlgate_results.pytest_plugin", f"--junitxml={xml}", "-o", f"junit_family={family}",
        "--strict-markers", "-W", "error::pytest.PytestWarning",
    )
    result.assert_outcomes(passed=2, failed=1)
    assert _properties(xml) == {
        "test_schema": ["data-1"],
        "test_two_items": ["model-6", "infra-2"],
        "test_plain": [],
    }


def test_the_installed_package_loads_its_plugin_by_itself(pytester):
    """Installed (pip, or the image), pytest finds the plugin through its entry point."""
    if os.environ.get("MLGATE_HELPER_INSTALLED") != "1":
        pytest.skip("run from the source tree: the entry point is the installed package's")
    from importlib import metadata

    names = [ep.name for ep in metadata.entry_points().select(group="pytest11")]
    assert "mlgate_results.pytest_plugin" in names
    pytester.makepyfile(test_inner=INNER)
    xml = pytester.path / "junit.xml"
    pytester.runpytest_subprocess(f"--junitxml={xml}", "--strict-markers")
    assert _properties(xml)["test_schema"] == ["data-1"]


@pytest.mark.parametrize("bad", [(), ("data",), ("data-8",), ("model-0",), ("data-1,model-6",), ("Data-1",), (1,)])
def test_refuses_ids_that_are_not_rubric_items(bad):
    with pytest.raises(ValueError, match="mltest"):
        mltest(*bad)


def test_importing_the_package_imports_neither_pytest_nor_pandas():
    import subprocess

    code = (
        "import sys, mlgate_results; "
        "print(sorted(m for m in ('pytest', 'pandas', 'numpy') if m in sys.modules))"
    )
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(mlgate_results.__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"
