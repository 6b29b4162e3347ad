"""The REST API under /api/v1/ (docs/api.md): public read-only lists, organisation tokens, the same services as the pages."""
