"""The database: engine construction and migrations. Knows nothing of subscribers."""
