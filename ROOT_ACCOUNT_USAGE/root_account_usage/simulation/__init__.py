"""Simulated AWS for the demo, the tests and the bench: moto plus what moto lacks (the report's
root row, AWS Config's history). Never shipped to Lambda, never imported by the rule."""
