#!/usr/bin/env python3
"""man_keys: the man page (docs/burrow.1) cannot drift from the code.

Every row of the config key tables in src/config/*.c (STR("serverAddr", ...),
INT(...), FRP("kcpBindPort"), ...; SECTION rows excepted) must be named in
bold (`.B key`, `.BR key ...` or `\\fBkey\\fR`) in the man page section that
documents its table (server keys under SERVER CONFIGURATION, [[proxies]] keys
under PROXIES, ...); rows of the macros both files share (log.*, auth.*,
webServer.*) and of tables this script does not know yet anywhere in the
page. Every subcommand in src/main.c's table needs its own `.SS burrow NAME`.
Usage: man_keys.py SOURCE_DIR. Exit 0 when complete, 1 listing what is missing.
"""
import glob
import os
import re
import sys

# key table (its C name) -> the .SH section of burrow.1 documenting it
SECTIONS = {
    "server_keys": "SERVER CONFIGURATION",
    "port_entry_keys": "SERVER CONFIGURATION",
    "user_keys": "SERVER CONFIGURATION",
    "client_keys": "CLIENT CONFIGURATION",
    "proxy_keys": "PROXIES",
    "visitor_keys": "VISITORS",
    "wol_keys": "WAKE-ON-LAN",
    "ddns_keys": "DYNAMIC DNS",
}
ROW = re.compile(r'\b(STR|INT|PORT|BOOL|SPECIAL|CHECKED|FRP|FRP_EACH|KEY)\(\s*"([^"]+)"')
TABLE = re.compile(r"key_spec_t\s+(\w+)\s*\[\]\s*=\s*\{")


def table_rows(text):
    """(table or None, key) for every row; None: outside a table (a macro)."""
    rows, pos = [], 0
    spans = []
    for m in TABLE.finditer(text):
        end = text.find("};", m.end())
        spans.append((m.end(), end, m.group(1)))
    for m in ROW.finditer(text):
        table = next((n for a, b, n in spans if a <= m.start() < b), None)
        rows.append((table, m.group(2)))
    return rows


def man_sections(man):
    """.SH title -> its text (up to the next .SH)."""
    out, cur = {}, None
    for line in man.splitlines():
        m = re.match(r'^\.SH\s+"?([^"]*)"?\s*$', line)
        if m:
            cur = m.group(1).strip()
            out[cur] = ""
            continue
        if cur is not None:
            out[cur] += line + "\n"
    return out


def macro_args(rest):
    """A roff request's arguments: space separated, "double quoted" kept whole."""
    return [a[1:-1] if a.startswith('"') else a
            for a in re.findall(r'"(?:[^"]|"")*"|\S+', rest)]


def bold_runs(text):
    """Every bold run of text: .B lines, the bold halves of .BR/.BI/.RB/.IB
    lines, and \\fB...\\f spans."""
    runs = []
    for line in text.splitlines():
        m = re.match(r'^\.(B|BR|BI|RB|IB)\s+(.*)$', line)
        if m:
            args = macro_args(m.group(2))
            if m.group(1) == "B":
                runs.append(" ".join(args))
            else:
                first = 0 if m.group(1).startswith("B") else 1
                runs.extend(args[first::2])
        runs.extend(re.findall(r'\\fB(.*?)\\f', line))
    return runs


def named_in(key, text):
    """Whether key is a whole word of some bold run (followed by nothing, a
    space, '.', ',', '*', '[', ']' or '=')."""
    pat = re.compile(r'(?:^|[\s\[(])' + re.escape(key) + r'(?=$|[\s.,*\[\]=)])')
    return any(pat.search(r) for r in bold_runs(text))


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "."
    man = open(os.path.join(src, "docs", "burrow.1"), encoding="utf-8").read()
    secs = man_sections(man)
    missing, n = [], 0
    for path in sorted(glob.glob(os.path.join(src, "src", "config", "*.c"))):
        for table, key in table_rows(open(path, encoding="utf-8").read()):
            n += 1
            want = SECTIONS.get(table)
            text = secs.get(want, "") if want else man
            if not named_in(key, text):
                where = want or "anywhere in the page"
                missing.append(f"{os.path.basename(path)}: {table or 'macro'}: '{key}' "
                               f"not named in bold under {where}")
    if n < 100:  # the pattern no longer matches how the tables are written
        missing.append(f"only {n} key rows found in src/config/*.c: update man_keys.py")
    main_c = open(os.path.join(src, "src", "main.c"), encoding="utf-8").read()
    cmds = re.findall(r'\{"([a-z]+)",\s*cmd_', main_c)
    for c in cmds:
        if not re.search(r'^\.SS\s+"?burrow ' + c + r'\b', man, re.M):
            missing.append(f"main.c: subcommand '{c}' has no '.SS burrow {c}' in burrow.1")
    if missing:
        print("\n".join(missing))
        print(f"{len(missing)} missing (docs/burrow.1)")
        return 1
    print(f"ok: {n} config keys and {len(cmds)} subcommands named in docs/burrow.1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
