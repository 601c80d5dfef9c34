"""The Lambda side: read IAM, CloudTrail and SSM in time, decide with `core`, fail closed."""
