class ExtractionError(Exception):
    """A page that cannot give a record: the message says why, for the `failures` table."""
