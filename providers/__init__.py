"""Dynamic providers. Their classes are pickled into state by module path: never move them."""

from providers.logs import log_to_stderr_in_provider_host

log_to_stderr_in_provider_host()
