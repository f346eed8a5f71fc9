pytest_plugins = ["tests.fixtures.browser"]
