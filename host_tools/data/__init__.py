"""Photos in, int8 pixels out."""
