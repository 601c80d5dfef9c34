"""Simulated AWS for the demo and the tests: moto plus what moto lacks (a root row in
the credential report, AWS Config's history). Never shipped to Lambda, never imported
by the rule."""
