#!/usr/bin/env python3
"""Who else used the CPU during a phase (the machine is shared).

    cpu_top.py snap FILE            CPU time of every process (and kernel thread) now
    cpu_top.py diff A B SECONDS     the 4 largest users between two snaps, in cores
"""
import json
import os
import sys


def snap():
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()
        out[pid] = (comm, int(fields[11]) + int(fields[12]))  # utime + stime
    return out


def main():
    if sys.argv[1] == "snap":
        json.dump(snap(), open(sys.argv[2], "w"))
        return
    a, b = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
    secs = float(sys.argv[4])
    clk = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid, (comm, t) in b.items():
        d = t - (a[pid][1] if pid in a and a[pid][0] == comm else 0)
        if d > 0:
            used[comm] = used.get(comm, 0) + d
    top = sorted(used.items(), key=lambda x: -x[1])[:4]
    print(", ".join(f"{c} {t / clk / secs:.2f}" for c, t in top))


if __name__ == "__main__":
    main()
