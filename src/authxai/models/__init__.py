"""Backbones (registry, trunk/tail split), regression heads, training and evaluation."""
