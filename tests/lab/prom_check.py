#!/usr/bin/env python3
"""prom_check: validates Prometheus text exposition (format 0.0.4) on stdin.

Every line must be a `# HELP name text`, a `# TYPE name type`, another
comment, or a sample `name{label="value",...} number`; a family's HELP and
TYPE come before its samples and at most once; label values may hold only
the escapes \\\\, \\" and \\n; a counter's samples end in `_total`; no
sample (name plus labels) repeats. Prints one line per problem and exits 1
if any, else prints the number of samples. With arguments NAME{LABELS}>=N,
also checks those samples' values (e.g. 'burrow_clients>=1')."""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{LABEL}(?:,{LABEL})*)?,?\}})?\s+(\S+)(?:\s+-?\d+)?$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in types:
            return name[: -len(suffix)]
    return name


def main():
    problems, types, helps, seen, values = [], {}, set(), set(), {}
    for n, line in enumerate(sys.stdin.read().split("\n"), 1):
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not re.fullmatch(NAME, name):
                    problems.append(f"{n}: bad metric name {name!r}")
                if parts[1] == "HELP":
                    if name in helps:
                        problems.append(f"{n}: second HELP for {name}")
                    helps.add(name)
                else:
                    if name in types:
                        problems.append(f"{n}: second TYPE for {name}")
                    if len(parts) < 4 or parts[3] not in TYPES:
                        problems.append(f"{n}: bad TYPE line {line!r}")
                    else:
                        types[name] = parts[3]
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append(f"{n}: not a sample line: {line!r}")
            continue
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        try:
            v = float(value)
        except ValueError:
            problems.append(f"{n}: bad value {value!r}")
            continue
        fam = family_of(name, types)
        if fam not in types:
            problems.append(f"{n}: sample of {name} before its TYPE")
        elif types[fam] == "counter" and not name.endswith("_total"):
            problems.append(f"{n}: counter {name} does not end in _total")
        if fam not in helps:
            problems.append(f"{n}: sample of {name} without HELP")
        key = name + labels
        if key in seen:
            problems.append(f"{n}: repeated sample {key}")
        seen.add(key)
        values[key] = v
    for want in sys.argv[1:]:
        key, _, floor = want.partition(">=")
        if key not in values:
            problems.append(f"missing sample {key}")
        elif values[key] < float(floor):
            problems.append(f"{key} = {values[key]}, want >= {floor}")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"{len(seen)} samples in {len(types)} families, format ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
