"""Reporters: they format a LintResult, and never decide anything."""
