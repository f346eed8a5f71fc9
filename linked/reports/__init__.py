"""Read-only figures across subscribers, sends and schedules, for the console's pages."""
