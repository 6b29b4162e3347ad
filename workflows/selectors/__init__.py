"""Reads shaped for the workflows pages, one module per role: ``agency``, ``supervisor``."""
