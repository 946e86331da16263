"""The error a bad config raises, below both modules that raise it (``config`` checks the keys,
``plan`` the experiment's own rules), so that neither imports the other to name it."""


class ConfigError(ValueError):
    """The config is invalid or inconsistent; the message names the key."""
