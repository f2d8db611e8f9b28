# soaklib: the parts of scripts/soak (see its header): workload.py makes
# the configs and the fake-API scenario, watch.py samples the supervisor,
# check.py checks each run, main.py runs the invocations and the table.
