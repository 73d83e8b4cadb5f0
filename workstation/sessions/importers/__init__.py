"""Importers of public market history into sessions (see each module for its formats)."""
