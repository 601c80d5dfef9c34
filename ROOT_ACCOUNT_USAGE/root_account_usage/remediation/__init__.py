"""Remediation scripts that run outside the rule's Lambda (SSM Automation documents embed
them verbatim): self-contained, standard library and boto3 only, Python 3.11."""
