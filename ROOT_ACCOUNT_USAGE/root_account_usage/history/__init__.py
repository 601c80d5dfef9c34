"""The auditor's side: read what AWS Config recorded for the rule and turn it into
evidence (timeline, figures, JSON / CSV / text / HTML). Never shipped to Lambda."""
