"""Views of the workflows app, one module per role: ``agency``, ``supervisor``."""
