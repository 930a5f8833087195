"""Every check family; importing this package registers all checks in `labs.lint.registry.REGISTRY`."""

from labs.lint.checks import api_shape, dns, http, install, peers, sections, values

__all__ = ["api_shape", "dns", "http", "install", "peers", "sections", "values"]
