"""The bot's web face, as data, SVG and HTML strings: badges, details pages and their JSON,
embed.js, and the cards Slack unfurls. ``bot/server.py`` serves them; nothing here knows HTTP
frameworks or Slack's libraries."""
