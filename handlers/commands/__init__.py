"""The commands people type: one module per group of commands, each a function (ctx, cmd) -> Reply."""
