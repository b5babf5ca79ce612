"""The functions a scan runs keep their call frames off the heap.

MicroPython allocates a Python function's locals and stack on the heap, and
frees them on return, when they need more than 11 machine words (objfun.c,
VM_MAX_STATE_ON_STACK); each level of try/except costs 3 more, and an
`except ... as e` two levels. That is an allocation on every call, which the
heap-locked test cannot see: with the heap locked the frame silently falls
back to the C stack. The compiler's own report (`micropython -v -v -v -v`
prints N_STATE and N_EXC_STACK for every code block it compiles; mpy-cross
emits the same bytecode for the boards) is checked here instead.
"""
import os
import re
import subprocess

import mpy

WORDS_ON_C_STACK = 11

# Called for every scan, or for every process, input or relay in it; on a
# board also the after-scan hooks (persistence, relay feedback, MQTT).
STEADY = {
    "sluice/kernel/kernel.py": ["scan"],
    "sluice/kernel/interlock.py": ["check_interlocks"],
    "sluice/io/image.py": ["read", "write", "touch", "elapsed_ms"],
    "sluice/kernel/clock.py": ["ticks_ms"],
    "sluice/io/inputs.py": ["read", "_dt", "_sample", "_filter"],
    "sluice/io/relay.py": ["write", "_wanted", "_check_feedback", "__call__"],
    "sluice/store/persist.py": ["after_scan"],
    "sluice/net/mqtt_node.py": ["_after_scan"],
}
# Called for every step change, start or finish.
STEP_CHANGE = {
    "sluice/kernel/kernel.py": ["_request", "_close", "_leave", "_finish"],
    "sluice/kernel/stepper.py": ["advance", "children_done", "_child_pending"],
    "sluice/kernel/arbiter.py": ["grant_now", "release", "tidy", "sort_ranked", "_insert", "_drop_left"],
    "sluice/kernel/process.py": ["wait_ms", "wait_step_ms", "until", "run", "on_safe"],
    "sluice/io/image.py": ["on", "off", "to_safe"],
    "sluice/kernel/events.py": ["log"],
    "sluice/kernel/commands.py": ["start_now"],
}
# On the heap by design, once per scan each (the same size every time, freed
# at once): the handlers that need the exception to report it, `except ... as
# e`, around each process's step (step_running), the after-scan hooks and, on
# a board, the whole scan (ScanTimer._run).
ON_HEAP = {"sluice/kernel/stepper.py": ["step_running"], "sluice/kernel/kernel.py": ["_after_scan"],
           "sluice/kernel/scan_timer.py": ["_run"]}


def frame_words():
    """{(file, function name): [words, ...]} for every firmware module."""
    files = []
    for d, _, names in os.walk(mpy.FIRMWARE):
        files += [os.path.relpath(os.path.join(d, f), mpy.FIRMWARE) for f in sorted(names) if f.endswith(".py")]
    code = "for f in %r:\n    compile(open(f).read(), f, 'exec')\n" % (files,)
    out = subprocess.run([mpy.micropython_bin(), "-v", "-v", "-v", "-v", "-c", code], cwd=mpy.FIRMWARE,
                         capture_output=True, text=True, check=True, timeout=120).stdout
    words = {}
    for m in re.finditer(r"File (\S+), code block '([^']+)'.*?\(N_STATE (\d+)\)\s*\(N_EXC_STACK (\d+)\)", out, re.S):
        words.setdefault((m.group(1), m.group(2)), []).append(int(m.group(3)) + 3 * int(m.group(4)))
    return words


def test_scan_path_frames_fit_on_the_c_stack():
    words = frame_words()
    assert len(words) > 100  # the report was parsed
    over = []
    for group in (STEADY, STEP_CHANGE):
        for path, names in group.items():
            for name in names:
                w = words.get((path, name))
                assert w, "no code block %s in %s" % (name, path)
                if max(w) > WORDS_ON_C_STACK:
                    over.append("%s %s: %s words" % (path, name, w))
    assert over == [], "frames on the heap at every call:\n" + "\n".join(over)
    for path, names in ON_HEAP.items():
        for name in names:
            assert max(words[(path, name)]) > WORDS_ON_C_STACK  # if it fits now, move it to STEADY
