"""Experiments that regenerate numbers printed in the paper (seeded, JSON output)."""

from proofcheck.experiments import authors, discussion

__all__ = ["discussion", "authors"]
