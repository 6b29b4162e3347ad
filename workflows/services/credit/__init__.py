"""Credit in the agency's life: events, measures, cases, objections, repairs, external lists, the credit sweep."""
