"""The web app: public archive pages, subscribe and unsubscribe, webhooks."""
