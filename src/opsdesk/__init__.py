"""opsdesk: an operations and delivery platform for IT service providers."""

__version__ = "0.1.0"
