# Runs under micropython: hand one result object back to the host test.
import json


def report(obj):
    print("@@RESULT " + json.dumps(obj))
