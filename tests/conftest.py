pytest_plugins = [
    "tests.plugins.domain",
    "tests.plugins.services",
]
