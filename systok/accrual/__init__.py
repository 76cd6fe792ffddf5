"""The weekly run: collect, score, report, post — checkpointed, idempotent, explainable."""
