"""Transport-agnostic behaviour: the command router, commands, jobs and rendering."""
