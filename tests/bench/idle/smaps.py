"""Resident memory of processes, read from /proc/<pid>/smaps, for scripts/bench idle.

usage: smaps.py <label>=<pid> [<label>=<pid> ...] [--top N]

For each process: its RSS split into file pages (code and read-only data of the binary and the
shared libraries, read from the page cache) and anonymous pages, these split again into the
libraries' relocated data (pages of a file mapping written at load time, .data.rel.ro and the GOT:
smaps counts them as Anonymous) and the rest (heap, thread stacks, malloc arenas); the thread
count; and the N largest mappings
grouped by file (the binary, each shared library, [heap], [anon], [stack]) with their Rss,
Private_Dirty, Private_Clean and Shared_Clean, all in KiB. The labels' columns are printed side by
side; the first process is the one measured, the others its floors.
"""
import collections
import re
import sys

FIELDS = ("Rss", "Private_Dirty", "Private_Clean", "Shared_Clean", "Anonymous")
HEAD = re.compile(r"^[0-9a-f]+-[0-9a-f]+ ")


def read(pid):
    by_name = collections.defaultdict(collections.Counter)
    name = None
    is_file = False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if HEAD.match(line):
                parts = line.split()
                path = parts[5] if len(parts) > 5 else "[anon]"
                name = path.rsplit("/", 1)[-1]
                is_file = path.startswith("/")
                continue
            key, _, value = line.partition(":")
            if key in FIELDS:
                by_name[name][key] += int(value.split()[0])
            if key == "Anonymous" and is_file:
                by_name[name]["relocated"] += int(value.split()[0])
    with open(f"/proc/{pid}/status") as f:
        threads = next(int(l.split()[1]) for l in f if l.startswith("Threads:"))
    return by_name, threads


def mib(kib):
    return f"{kib / 1024:.1f}"


def summary(label, by_name, threads):
    total = collections.Counter()
    for counts in by_name.values():
        total.update(counts)
    anon = total["Anonymous"]
    return {
        "label": label,
        "rss": total["Rss"],
        "anon": anon,
        "file": total["Rss"] - anon,
        "relocated": total["relocated"],
        "threads": threads,
    }


def main(argv):
    top = 12
    procs = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--top":
            top = int(args.pop(0))
        else:
            label, _, pid = a.partition("=")
            procs.append((label, int(pid)))
    rows = []
    for label, pid in procs:
        by_name, threads = read(pid)
        rows.append((summary(label, by_name, threads), by_name))
    width = max(len(s["label"]) for s, _ in rows)
    print(f"  {'MiB':{width}}  {'RSS':>6} {'file':>6} {'anon':>6} {'relocated':>10} {'heap etc.':>10}"
          f" {'threads':>8}")
    for s, _ in rows:
        print(f"  {s['label']:{width}}  {mib(s['rss']):>6} {mib(s['file']):>6} {mib(s['anon']):>6} "
              f"{mib(s['relocated']):>10} {mib(s['anon'] - s['relocated']):>10} {s['threads']:>8}")
    for s, by_name in rows:
        print(f"\n  {s['label']}: the {top} largest mappings (KiB)")
        print(f"    {'mapping':34} {'Rss':>6} {'PrivDirty':>10} {'PrivClean':>10} {'SharedClean':>12}")
        ranked = sorted(by_name.items(), key=lambda kv: -kv[1]["Rss"])[:top]
        for name, c in ranked:
            print(f"    {name[:34]:34} {c['Rss']:>6} {c['Private_Dirty']:>10} "
                  f"{c['Private_Clean']:>10} {c['Shared_Clean']:>12}")
    if len(rows) > 1 and rows[1][0]["rss"]:
        first, floor = rows[0][0], rows[1][0]
        print(f"\n  {first['label']} / {floor['label']}: {first['rss'] / floor['rss']:.2f}x "
              f"({mib(first['rss'] - floor['rss'])} MiB more)")


if __name__ == "__main__":
    main(sys.argv[1:])
