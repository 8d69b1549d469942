"""Attack tests of the HTTP listener."""
