"""The pure core: parse the credential report, decide, and word the annotation.

No boto3 and no clock: every input (the report's bytes, the event, "now") is an
argument, so every rule of the verdict can be tested offline.
"""
