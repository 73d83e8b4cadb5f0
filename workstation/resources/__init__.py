"""The files the workstation ships, as package data: ``demo/`` (the demo session), ``rules/``
(the default rules), ``brackets/`` (the shipped bracket tables) and ``icons/``. Read them through
:mod:`workstation.core.resources`, never by path arithmetic."""
