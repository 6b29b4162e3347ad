"""Delivery: the engagement from contract to rating, and the payment of the fee."""
