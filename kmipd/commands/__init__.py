"""One module a subcommand; each exposes ``add_parser(subparsers)``."""
