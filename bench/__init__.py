"""Benchmarks (standalone scripts, run by ``make bench``) and the URLs only they route."""
