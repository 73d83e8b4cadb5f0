"""The application layer: assembles the engine's pipeline and runs it (sessions, backtests, the
live pump, skew reports). Imports the domain packages and the engine; never Qt, argparse or print."""
