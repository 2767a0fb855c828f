"""pytester runs pytest inside these tests (the @mltest plugin is checked through a real run)."""

pytest_plugins = ["pytester"]
