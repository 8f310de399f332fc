"""Asking sources on a schedule: the poll job, its thread pool, asking and storing, web domains, the link resolver, housekeeping."""
