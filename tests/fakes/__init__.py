"""Loopback fakes of Slack and the attention sources."""
