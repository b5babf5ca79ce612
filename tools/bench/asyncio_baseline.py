# The demo plant written the way a user would without Sluice: one asyncio task
# per process, polling once per cycle, asyncio.Lock for each transfer pump and
# a counter for the power budget and the water supply. No priorities, no
# preemption, no persistence: only the same sequence and the same plant.
# Runs under micropython. Time is virtual (the plant's clock), so a cycle costs
# what the tasks compute, not what they sleep.
import asyncio

from plant import demo
from sluice.compat import ticks_diff


class Budget:
    def __init__(self, n):
        self.free = n

    async def take(self, cycle):
        while self.free <= 0:
            await cycle()
        self.free -= 1

    def give(self):
        self.free += 1


class Baseline:
    def __init__(self, rig, tanks):
        self.rig = rig
        self.io = rig.io
        self.clock = rig.clock
        self.tanks = tanks
        self.power = Budget(3)
        self.water = Budget(3)
        self.pumps = {demo.pump_name(tanks, i): asyncio.Lock() for i in range(demo.pump_count(tanks))}
        self.cycles = 0

    async def cycle(self):
        await asyncio.sleep_ms(0)

    async def hold_ms(self, ms):
        t0 = self.clock.ticks_ms()
        while ticks_diff(self.clock.ticks_ms(), t0) < ms:
            await self.cycle()

    async def until(self, cond):
        while not cond():
            await self.cycle()

    async def run_for(self, out, ms, budget=None):
        if budget:
            await budget.take(self.cycle)
        out.on()
        await self.hold_ms(ms)
        out.off()
        if budget:
            budget.give()

    async def tank(self, i):
        # One task per process: the batch task signals its children with Events.
        t = demo.tank_name(i)
        o = self.io.outputs
        level = self.io.inputs[t + "_level"]
        temp = self.io.inputs[t + "_temp"]
        pump = demo.pump_name(self.tanks, i)
        go = {n: asyncio.Event() for n in ("fill", "dose", "mix", "heat", "sample", "transfer", "rinse")}
        done = {n: asyncio.Event() for n in go}

        async def child(name, body):
            while True:
                await go[name].wait()
                go[name].clear()
                await body()
                done[name].set()

        async def fill():
            await self.water.take(self.cycle)
            o[t + "_fill"].on()
            await self.until(lambda: level.value >= 80)
            o[t + "_fill"].off()
            self.water.give()

        async def heat():
            o[t + "_heater"].on()
            await self.until(lambda: temp.value >= 60)
            o[t + "_heater"].off()

        async def transfer():
            async with self.pumps[pump]:
                await self.power.take(self.cycle)
                o[t + "_outlet"].on()
                await self.hold_ms(1000)
                o[o_pump].on()
                await self.until(lambda: level.value <= 3)
                o[o_pump].off()
                o[t + "_outlet"].off()
                self.power.give()

        async def rinse():
            await self.water.take(self.cycle)
            await self.run_for(o[t + "_fill"], 3000)
            o[t + "_drain"].on()
            await self.until(lambda: level.value <= 1)
            o[t + "_drain"].off()
            self.water.give()

        o_pump = pump
        bodies = {
            "fill": fill, "heat": heat, "transfer": transfer, "rinse": rinse,
            "dose": lambda: self.run_for(o[t + "_dose"], 5000),
            "mix": lambda: self.run_for(o[t + "_mixer"], 30000, self.power),
            "sample": lambda: self.run_for(o[t + "_sample"], 2000),
        }
        for n in go:
            asyncio.create_task(child(n, bodies[n]))

        async def run(*names):
            for n in names:
                done[n].clear()
                go[n].set()
            for n in names:
                await done[n].wait()

        while True:  # the batch task
            await run("fill")
            await run("dose")
            await run("mix", "heat")
            await run("sample")
            await run("transfer")
            await run("rinse")

    async def interlocks(self):
        o = self.io.outputs
        ins = self.io.inputs
        names = [demo.tank_name(i) for i in range(self.tanks)]
        while True:
            for t in names:
                if ins[t + "_high"].value or ins[t + "_level"].value >= demo.HIGH_LEVEL_PCT:
                    o[t + "_fill"].off()
                if ins[t + "_level"].value < demo.MIXER_MIN_LEVEL_PCT:
                    o[t + "_mixer"].off()
            await self.cycle()

    async def main(self, warmup, cycles, times_us):
        from sluice.compat import ticks_us
        for i in range(self.tanks):
            asyncio.create_task(self.tank(i))
        asyncio.create_task(self.interlocks())
        rig = self.rig
        for n in range(warmup + cycles):
            rig.clock.advance(rig.period_ms)
            rig.plant.step(rig.period_ms)
            t0 = ticks_us()
            rig.io.read(rig.clock.ticks_ms())
            await asyncio.sleep_ms(0)  # every other task runs once
            rig.io.write(rig.clock.ticks_ms())
            if n >= warmup:
                times_us[n - warmup] = ticks_diff(ticks_us(), t0)
