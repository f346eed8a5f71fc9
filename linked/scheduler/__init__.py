"""Scheduled sends: APScheduler 3 with its job store in the project database.

:mod:`linked.scheduler.service` is what ``linked schedule`` calls;
:mod:`linked.scheduler.runtime` holds the scheduler and its job;
:mod:`linked.scheduler.worker` is the delivery loop ``linked serve`` runs.
"""
