"""Installs this package into a Python without pip (the mlgate/python-ml image has none): the
package into site-packages, and a .dist-info with its metadata and entry points, so that
importlib.metadata, and so pytest's plugin loading, see it as `pip install .` would.

    python3 install_site.py [SITE_PACKAGES]      (default: the first of site.getsitepackages())
"""

import shutil
import site
import sys
import tomllib
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    project = tomllib.loads((here / "pyproject.toml").read_text())["project"]
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(site.getsitepackages()[0])
    target.mkdir(parents=True, exist_ok=True)
    package = target / "mlgate_results"
    shutil.rmtree(package, ignore_errors=True)
    shutil.copytree(here / "mlgate_results", package, ignore=shutil.ignore_patterns("__pycache__"))
    name = project["name"].replace("-", "_")
    info = target / f"{name}-{project['version']}.dist-info"
    shutil.rmtree(info, ignore_errors=True)
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
        f"Summary: {project['description']}\n"
    )
    groups = project.get("entry-points", {})
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n"
            for group, eps in groups.items()
        )
    )
    (info / "top_level.txt").write_text("mlgate_results\n")
    (info / "INSTALLER").write_text("mlgate install_site.py\n")
    files = [p.relative_to(target) for p in sorted(package.rglob("*")) + sorted(info.iterdir())]
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files) + f"{info.name}/RECORD,,\n")
    print(f"installed {project['name']} {project['version']} into {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
