"""What a run leaves for an analyst: its run folder (`io`), the experiments table
(`experiments`), scenario discovery on it (`discovery`) and the notes of a report (`notes`:
caveats, the changes that made the run, flagged assumptions). The `Results` of a run
themselves are made by `sim.experiment` (`sim.experiment.results`)."""
