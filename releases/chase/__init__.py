"""Sweeps that chase work past its due time: hand-offs and incident action items. Each
claims a row with a conditional UPDATE before it writes a notice, so two workers, or a sweep
run twice, tell nobody twice."""
