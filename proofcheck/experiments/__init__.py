"""Experiments that regenerate numbers printed in the paper (seeded, JSON output)."""

__all__ = ["discussion"]
