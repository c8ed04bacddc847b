"""The A/B test section: blind pairs, votes and the outcome."""
