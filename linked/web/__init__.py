"""The web app: subscribe, confirm and unsubscribe pages (and, later, the public archive)."""
