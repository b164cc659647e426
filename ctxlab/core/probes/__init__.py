"""Probes that run the local model over a text: surprisal maps and needle recall."""
