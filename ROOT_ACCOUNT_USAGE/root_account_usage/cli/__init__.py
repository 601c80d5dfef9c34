"""The `root-account-usage` command (cli.main): evaluate, history and demo subcommands."""
