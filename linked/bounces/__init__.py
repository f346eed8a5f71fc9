"""Bounces and complaints from the return mailbox: VERP return paths, classification, fetching."""
