"""Dataset adapters and the planted-cue study."""
