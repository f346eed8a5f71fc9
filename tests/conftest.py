"""Shared fixtures live in tests/fixtures/ so other test modules can reuse them."""

pytest_plugins = ["tests.fixtures.database", "tests.fixtures.smtp", "tests.fixtures.faulty_smtp"]
