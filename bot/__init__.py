"""Composition: settings, the CLI, the scheduler, the Slack adapter and the shell."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/attention-bot/attention-bot"
