"""The credit exchange with the public credit platform (docs/credit-exchange.md)."""
