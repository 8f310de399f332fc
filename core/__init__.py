"""Pure domain: identifiers, models and scoring. No I/O, and no imports from the rest of the bot."""
