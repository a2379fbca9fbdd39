"""CalDAV (RFC 4791): the client."""
