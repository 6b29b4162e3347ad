"""OCDS 1.1 releases, records and bulk files of every published project (docs/ocds.md)."""
