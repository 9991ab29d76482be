"""Department accountability: timeliness and quality of each department's submissions (Art. 13, 51)."""
