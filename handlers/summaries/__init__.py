"""Summaries over a period: the data, its text and blocks, the chart, and the weekly post."""
