"""The Lambda side: read IAM (and CloudTrail) within the Lambda's time, decide with the
core, and fail closed. Shipped in the Lambda package with `core`."""
