"""Shared fixtures: the labs are started once per test session, on free loopback ports."""

pytest_plugins = [
    "tests.support.vcsim_fixture",
    "tests.support.vra_fixture",
    "tests.support.aria_fixture",
]
