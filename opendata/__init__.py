"""Open data and integration: the REST API, OCDS releases, downloads and the credit exchange."""
