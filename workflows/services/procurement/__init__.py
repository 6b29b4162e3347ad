"""Procurement: projects, sign-ups with sealed quotes, selection by the declared method, the award."""
