"""Limit interlocks (input=, high= or low=) are checked by band: each scan only
tests whether the input left the band between the nearest limits. Checked
here against the plain rule, evaluated afresh every scan, on micropython."""
import mpy


def test_limit_interlocks_trip_and_clear_exactly_as_the_rule_says():
    r = mpy.result("""
import random
from kit import Rig, check_invariants

rig = Rig(outputs=("fill", "mixer", "heater"), inputs=("level", "temp"))
k = rig.k
level, temp = rig.io.inputs["level"], rig.io.inputs["temp"]
k.add_interlock("high", input=level, high=95, outputs=("fill",))
k.add_interlock("dry", input=level, low=10, outputs=("mixer",))
k.add_interlock("very_high", input=level, high=98, outputs=("heater",))
k.add_interlock("hot", input=temp, high=80, outputs=("heater",))
for n in ("fill", "mixer", "heater"):
    rig.out(n).on()

def expected():
    f = level.fault
    return {"high": f or level.value >= 95, "dry": f or level.value < 10,
            "very_high": f or level.value >= 98, "hot": temp.fault or temp.value >= 80}

random.seed(7)
points = [9, 10, 11, 94, 95, 96, 97, 98, 99, 0, 100, -5, 1000]
wrong = []
trips = 0
for i in range(3000):
    r = random.random()
    if r < 0.3:
        level.value = random.choice(points)          # right at, and around, every limit
    elif r < 0.6:
        level.value = max(-5, min(105, level.value + random.randint(-3, 3)))
    elif r < 0.65:
        level.fault = not level.fault                 # sensor fails and comes back
    elif r < 0.8:
        temp.value = random.choice((79, 80, 81, 20))
    elif r < 0.82:
        temp.fault = not temp.fault
    rig.scan()
    want = expected()
    got = {i.name: i.tripped for i in k.interlocks}
    if got != want and len(wrong) < 5:
        wrong.append([i, level.value, level.fault, temp.value, got, want])
    heater_inhibit = want["very_high"] + want["hot"]
    heater = rig.out("heater")
    if (heater.inhibit != heater_inhibit or heater.value != (0 if heater_inhibit else 1)) and len(wrong) < 5:
        wrong.append([i, "heater", rig.out("heater").inhibit, heater_inhibit])
report({"wrong": wrong, "trips": sum(i.trip_count for i in k.interlocks)})
""")
    assert r["wrong"] == []
    assert r["trips"] > 300  # the walk really crossed the limits, many times
